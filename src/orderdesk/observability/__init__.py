"""What operators watch: the Prometheus metrics every process records, and how processes sharing a
home add theirs up. Nothing here imports prometheus_client at import time (see multiprocess)."""
