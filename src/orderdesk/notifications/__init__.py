"""Notification orders: send e-mail and SMS to many recipients, now or at a set time (Altinn v1 API)."""
