"""Data orders: users order files of a data catalogue, staged in sub-orders, followed by status."""
