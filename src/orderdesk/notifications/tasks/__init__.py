"""The worker loops of the notification family and the bounce intake."""
