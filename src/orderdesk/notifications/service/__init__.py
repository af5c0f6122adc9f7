"""Use cases of the notification family; they take a connection and never commit."""
