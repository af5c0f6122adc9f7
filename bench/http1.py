"""The one piece of HTTP/1.1 the benchmarks' hand-written peers read themselves (the webhook receiver
and the open-loop load client): a message head's Content-Length."""

from __future__ import annotations


def content_length(head: bytes) -> int:
    """The Content-Length of a request or response head (its header lines after the first); 0 when
    it has none."""
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value.strip())
    return 0
