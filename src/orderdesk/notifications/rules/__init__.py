"""Pure rules of the notification family: no I/O, no database."""
