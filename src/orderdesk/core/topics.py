"""Every name under which work is announced to the worker loops (core.wakeup), in one place.

The values travel between processes as PostgreSQL NOTIFY payloads, so they stay as they were: a
worker of the previous release still hears an API of this one during a rolling deploy.
"""

from __future__ import annotations

NOTIFICATION_ORDERS = "notification_orders"
"""A notification order was registered: the order-processing loop has work."""
NOTIFICATION_EMAIL = "notification_email"
"""E-mails are ready to send."""
NOTIFICATION_SMS = "notification_sms"
"""Text messages are ready to send."""
DATAORDER_STAGING = "dataorder_staging"
"""A sub-order may be staged: an order placed, resumed or retried, or a user's slot freed."""
PURCHASE_FULFILMENT = "purchase-fulfilment"
"""A purchase order was confirmed and waits to be processed."""
PURCHASE_CALLBACKS = "purchase-callbacks"
"""A purchase order's callback is due."""
WEBHOOKS = "webhooks"
"""Webhook events were written to the outbox: the delivery loop has work."""
