"""Names under which notification work is announced to the worker loops (see core.wakeup)."""

ORDERS = "notification_orders"
EMAIL = "notification_email"
SMS = "notification_sms"
