"""Every SQL statement of data orders, typed rows in and out; the caller owns the transaction."""
