"""Pure rules of purchase orders: no I/O, no clock; each takes what it judges and returns a verdict."""
