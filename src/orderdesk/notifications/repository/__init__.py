"""Every SQL statement of the notification family; the caller owns the transaction."""
