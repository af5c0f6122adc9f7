"""orderdesk: place orders for work that happens later, and follow their status over HTTP."""

__version__ = "0.1.0"
