"""A streamed download that knows whether it reached the client whole.

Starlette's file and streaming responses run their background task even when the client went away
mid-way (uvicorn drops the rest silently), so a cut download would be recorded as DOWNLOADED. This
response listens for the disconnect while it streams and tells the caller which way it ended."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from pathlib import Path
from urllib.parse import quote

import anyio
import structlog
from starlette.concurrency import iterate_in_threadpool
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

CHUNK_BYTES = 1024 * 1024
_log = structlog.get_logger(__name__)


class TrackedStream(Response):
    """Streams `chunks`; awaits `on_sent()` when every byte went out and the client stayed, else
    `on_cut(bytes_sent, reason)`. Exactly one of the two is awaited."""

    def __init__(
        self,
        chunks: AsyncIterator[bytes],
        *,
        headers: Mapping[str, str],
        media_type: str,
        on_sent: Callable[[], Awaitable[None]],
        on_cut: Callable[[int, str], Awaitable[None]],
    ) -> None:
        self.status_code = 200
        self.media_type = media_type
        self.background = None
        self.init_headers(headers)
        self._chunks = chunks
        self._on_sent = on_sent
        self._on_cut = on_cut

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        gone = asyncio.Event()

        async def listen() -> None:
            while (await receive())["type"] != "http.disconnect":
                pass
            gone.set()

        listener = asyncio.create_task(listen())
        sent = 0
        try:
            await send(
                {"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers}
            )
            cut = False
            async for chunk in self._chunks:
                if gone.is_set():
                    cut = True
                    break
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
                sent += len(chunk)
                # uvicorn drops a chunk silently once the client is gone; one turn of the loop lets a
                # disconnect that came first reach the listener. Judged per chunk, so a client that hangs
                # up after reading everything (Content-Length tells it when) still has it all.
                await asyncio.sleep(0)
                cut = gone.is_set()
            if cut:
                await self._on_cut(sent, f"the client went away after {sent} bytes")
                return
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        except OSError as error:  # ASGI 2.4 servers raise on a send to a closed connection
            await self._on_cut(sent, f"the connection failed after {sent} bytes: {error}")
            return
        except Exception as error:  # a staged file vanished or changed under us: close short
            _log.warning("download_failed", sent=sent, error=str(error))
            await self._on_cut(sent, f"reading the staged files failed after {sent} bytes: {error}")
            return
        finally:
            listener.cancel()
        await self._on_sent()


async def file_chunks(path: Path, expected_size: int) -> AsyncIterator[bytes]:
    """The file's bytes; raises if it holds fewer or more than promised in Content-Length."""
    read = 0
    async with await anyio.open_file(path, "rb") as stream:
        while chunk := await stream.read(CHUNK_BYTES):
            read += len(chunk)
            if read > expected_size:
                raise OSError(f"{path.name} is larger than its {expected_size} bytes")
            yield chunk
    if read != expected_size:
        raise OSError(f"{path.name} holds {read} of its {expected_size} bytes")


def threaded_chunks(chunks: Iterator[bytes]) -> AsyncIterator[bytes]:
    """A blocking byte iterator (such as a zip stream reading files) run off the event loop."""
    return iterate_in_threadpool(chunks)


_ATTR_CHARS = "!#$&+-.^_`|~"
"""RFC 5987 attr-char besides letters and digits: everything else in `filename*` is percent-encoded."""


def content_disposition(filename: str) -> str:
    """`attachment` with the name as RFC 6266 wants it: the UTF-8 original in `filename*` (RFC 5987,
    percent-encoded, so CR, LF and quotes travel safely) and an ASCII fallback `filename` for old
    clients, with every control character, non-ASCII character, quote and backslash made `_`.

    A name is never written raw: a CR or LF in a header would make the server drop the response."""
    encoded = quote(filename.encode("utf-8", "replace"), safe=_ATTR_CHARS)  # "replace": lone surrogates
    fallback = "".join("_" if not (" " <= char <= "~") or char in '"\\' else char for char in filename)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"
