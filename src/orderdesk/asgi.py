"""The app as an ASGI server builds it in a process of its own: `orderdesk serve --workers N` (one
per uvicorn worker process) and `uvicorn --factory orderdesk.asgi:app_from_environment`.

The top-level imports stay light on purpose: the metrics directory must be chosen before anything
imports prometheus_client (observability.multiprocess), so the app is imported only after that.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import FastAPI

STARTUP_FAILURE = 3
"""uvicorn's exit status for a worker that could not start: its supervisor then stops instead of
starting the same failing worker again and again."""


def app_from_environment() -> FastAPI:
    """The API alone (what `orderdesk serve --no-worker` serves), from the environment and `.env`,
    for `uvicorn --factory`. The database must be migrated (`orderdesk migrate`)."""
    return _app(run_workers=False, warn_unknown=True)


def serve_api() -> FastAPI:
    """A worker process of `orderdesk serve --workers N --no-worker` (the parent warned about
    unknown variables once, and migrated)."""
    return _app(run_workers=False, warn_unknown=False)


def serve_api_and_workers() -> FastAPI:
    """A worker process of `orderdesk serve --workers N`: the API and the worker loops, as each of the
    N processes runs them (leases and `SKIP LOCKED` claims make that safe)."""
    return _app(run_workers=True, warn_unknown=False)


def _app(*, run_workers: bool, warn_unknown: bool) -> FastAPI:
    """Settings, then the metrics directory, then the logs, then the app. A bad setting is one line
    per variable on stderr, an app that cannot be built (e.g. a trusted key file missing) one log
    line; either exits with STARTUP_FAILURE."""
    from orderdesk.settings_check import SettingsInvalid, load_settings, warn_unknown_variables

    try:
        settings = load_settings()
    except SettingsInvalid as error:
        for line in error.lines:
            print(line, file=sys.stderr)
        sys.exit(STARTUP_FAILURE)

    from orderdesk.observability.multiprocess import use_directory

    use_directory(settings.home)

    import structlog

    from orderdesk.app import create_app
    from orderdesk.core.gc_freeze import freeze_startup_heap
    from orderdesk.core.logging import configure_logging

    configure_logging(settings.log_level, settings.log_format)
    if warn_unknown:
        warn_unknown_variables()
    try:
        application = create_app(settings, run_workers=run_workers)
    except Exception as error:
        # Any other exit status and uvicorn's supervisor would start the same failing process again,
        # for ever.
        structlog.get_logger(__name__).error("app_not_built", error=f"{type(error).__name__}: {error}")
        sys.exit(STARTUP_FAILURE)
    freeze_startup_heap()  # as `serve` does, last before serving
    return application
