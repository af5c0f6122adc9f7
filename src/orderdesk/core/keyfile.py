"""Secrets kept as files in the service's home, created on first use."""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from pathlib import Path


def load_or_create_key(path: Path) -> bytes:
    """Read the key at `path`, creating 32 random bytes (hex, mode 0600) on first use.

    Safe when several threads or processes (the API, the workers) create it at once on a fresh home:
    each writes its own uniquely named temporary file and fsyncs it, then links it in place; the link
    fails for all but the first, and those read the winner's complete key.
    """
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        temporary = Path(name)
        try:
            with os.fdopen(descriptor, "w") as handle:  # mkstemp creates it with mode 0600
                handle.write(secrets.token_hex(32) + "\n")
                handle.flush()
                os.fsync(handle.fileno())
            with contextlib.suppress(FileExistsError):
                os.link(temporary, path)
        finally:
            temporary.unlink()
    return path.read_text().strip().encode()
