"""Pure rules of data orders: no I/O."""
