"""How the console's pages answer what they refuse: a domain error (bad input, an order that does not
exist, an action its family refuses) becomes a page that names it, with the error's own status."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from http import HTTPStatus

from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk.console.api.deps import page
from orderdesk.console.api.guard import PageInterrupted
from orderdesk.console.models import Session
from orderdesk.core.db import Database
from orderdesk.core.errors import DomainError, InvalidInput


def messages_of(error: DomainError) -> list[str]:
    """What the error tells an operator: each field's message, or the error's own."""
    if isinstance(error, InvalidInput):
        return [f"{field}: {message}" for field, messages in error.errors.items() for message in messages]
    return [error.message]


def refusal_page(error: DomainError, session: Session) -> Response:
    status = HTTPStatus(error.status)
    return page(
        "message.html",
        status.value,
        title=status.phrase,
        message=" ".join(messages_of(error)),
        session=session,
    )


@contextmanager
def refused_as_page(session: Session) -> Iterator[None]:
    """Answer a domain error raised in the block with its page instead of the API's problem body."""
    try:
        yield
    except DomainError as error:
        raise PageInterrupted(refusal_page(error, session)) from error


async def refusal_of(
    database: Database, work: Callable[[AsyncConnection], Awaitable[object]]
) -> DomainError | None:
    """Run an admin action in a transaction of its own: None once it committed, or the domain error
    that refused it (nothing written then, its audit entry neither)."""
    try:
        async with database.transaction() as connection:
            await work(connection)
    except DomainError as error:
        return error
    return None
