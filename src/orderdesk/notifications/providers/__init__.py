"""Ways to send: each turns one message into a result the dispatch loop writes down."""
