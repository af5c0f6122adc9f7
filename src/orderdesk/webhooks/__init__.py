"""Status webhooks: orderdesk posts a signed event to the endpoints its clients subscribed, whenever
something they own changes.

A shared service beside the web edge, below the families: a family writes an event into the outbox
(`service.outbox.record_events`) in the very transaction that changes a status, and the delivery
worker posts it, signed by the Standard Webhooks specification, at least once and in order per
subscription."""
