"""The statements of webhooks: subscriptions, the outbox, and delivery."""
