"""Which errors mean "the database is out of reach" (503, retry later) rather than a fault of the
request: SQLAlchemy's wrapped errors, and the driver's own from statements asyncpg runs itself."""

from __future__ import annotations

import asyncpg
import pytest
from sqlalchemy.exc import DBAPIError

from orderdesk.core.db import refused_connection


def _wrapped(orig: Exception, invalidated: bool = False) -> DBAPIError:
    return DBAPIError("SELECT 1", None, orig, connection_invalidated=invalidated)


@pytest.mark.parametrize(
    "error",
    [
        asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
        asyncpg.exceptions.TooManyConnectionsError("too many clients"),
        asyncpg.exceptions.AdminShutdownError("terminating connection due to administrator command"),
        asyncpg.exceptions.CannotConnectNowError("the database system is starting up"),
        _wrapped(asyncpg.exceptions.TooManyConnectionsError("too many clients")),
        _wrapped(ValueError("lost"), invalidated=True),
        ConnectionResetError(),
    ],
)
def test_refused_connection__out_of_reach(error: BaseException) -> None:
    assert refused_connection(error)


@pytest.mark.parametrize(
    "error",
    [
        asyncpg.exceptions.UniqueViolationError("duplicate key"),
        asyncpg.exceptions.InvalidTextRepresentationError("invalid input syntax"),
        _wrapped(asyncpg.exceptions.UniqueViolationError("duplicate key")),
        ValueError("a bug"),
    ],
)
def test_refused_connection__the_request_or_a_bug(error: BaseException) -> None:
    assert not refused_connection(error)
