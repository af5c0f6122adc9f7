"""Use cases of data orders: what routes and tasks call; each takes a connection and never commits."""
