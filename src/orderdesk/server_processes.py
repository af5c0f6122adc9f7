"""`orderdesk serve --workers N`: uvicorn's supervisor keeps N worker processes serving the one socket
the parent bound; each builds the app itself (orderdesk.asgi) from what the parent decided."""

from __future__ import annotations

import os
import socket

from uvicorn import Config
from uvicorn.supervisors import Multiprocess

from orderdesk.asgi import STARTUP_FAILURE
from orderdesk.server import uvicorn_options
from orderdesk.settings import Settings

_API = "orderdesk.asgi:serve_api"
_API_AND_WORKERS = "orderdesk.asgi:serve_api_and_workers"


def serve_in_processes(
    settings: Settings, listener: socket.socket, *, host: str, port: int, processes: int, run_workers: bool
) -> int:
    """Serve on `listener` with `processes` uvicorn worker processes until SIGINT or SIGTERM, which
    the supervisor passes on to each of them before it returns; the exit status: 0, or
    STARTUP_FAILURE when a worker process could not start (the supervisor then stops them all).

    The parent has loaded and checked the settings, claimed the home and migrated the database; the
    worker processes load the same settings from the environment, where the home (absolute, the one
    claimed) and the public base URL (the address served on, unless one is configured) are set for
    them. A worker process that dies is replaced."""
    os.environ["ORDERDESK_HOME"] = str(settings.home)
    if settings.public_base_url is not None:
        os.environ["ORDERDESK_PUBLIC_BASE_URL"] = settings.public_base_url
    config = Config(
        _API_AND_WORKERS if run_workers else _API,
        factory=True,
        host=host,
        port=port,
        workers=processes,
        log_config=None,
        **uvicorn_options(settings.server),
    )
    supervisor = Multiprocess(config, sockets=[listener])
    supervisor.run()
    failed = any(process.exitcode == STARTUP_FAILURE for process in supervisor.processes)
    return STARTUP_FAILURE if failed else 0
