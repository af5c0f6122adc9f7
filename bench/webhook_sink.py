"""A webhook receiver for the benchmarks, in a process of its own: answers every POST 204 at once over
keep-alive connections and counts them; `GET /count` answers how many it took. Plain asyncio streams,
so that the receiver costs far less than what is measured against it.

`running()` starts it (`python -m bench.webhook_sink PORT`) for a benchmark."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from bench.http1 import content_length
from bench.smtp import wait_for_port
from tests.support.workers import free_port

_NO_CONTENT = b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n"


class Sink:
    def __init__(self) -> None:
        self.count = 0

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = content_length(head)
                if length:
                    await reader.readexactly(length)
                if head.startswith(b"GET /count"):
                    body = str(self.count).encode()
                    writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body))
                else:
                    self.count += 1
                    writer.write(_NO_CONTENT)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


@contextmanager
def running() -> Iterator[str]:
    """The receiver in a process of its own; yields its base URL (POST anywhere under it)."""
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "bench.webhook_sink", str(port)])
    try:
        wait_for_port(port)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


async def main(port: int) -> None:
    sink = Sink()
    server = await asyncio.start_server(sink.serve, "127.0.0.1", port)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
