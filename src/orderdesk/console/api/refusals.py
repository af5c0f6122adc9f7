"""How the console's pages answer what they refuse: a domain error (bad input, an order that does not
exist, an action its family refuses) becomes a page that names it, with the error's own status."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from http import HTTPStatus

from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk.console import service
from orderdesk.console.api.deps import page
from orderdesk.console.api.guard import AdminForm, PageInterrupted
from orderdesk.console.models import Session
from orderdesk.core.db import Database
from orderdesk.core.errors import DomainError, InvalidInput


def messages_of(error: DomainError, naming_fields: bool = True) -> list[str]:
    """What the error tells an operator: each field's message, or the error's own. A form shown again
    beside its error passes `naming_fields=False`: its labels name the fields (a query string's
    parameter, on a page of its own, needs its name)."""
    if not isinstance(error, InvalidInput):
        return [error.message]
    return [
        f"{field}: {message}" if naming_fields else message
        for field, messages in error.errors.items()
        for message in messages
    ]


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


@dataclass(frozen=True, slots=True)
class Done:
    """What an admin action changed, as its audit entry names it: the target's kind and id, and any
    detail worth keeping (never a secret)."""

    target: tuple[str, str]
    detail: dict[str, object] | None = None


async def audited_refusal(
    database: Database,
    form: AdminForm,
    action: str,
    now: datetime,
    work: Callable[[AsyncConnection], Awaitable[Done | None]],
) -> DomainError | None:
    """Run `work` and write its audit entry (the admin, `action`, what `work` says it changed) in one
    transaction, as `refusal_of` does: None once both committed, else the domain error that refused
    the action (neither written). `work` returns None when it changed nothing: no entry then."""

    async def take(connection: AsyncConnection) -> None:
        done = await work(connection)
        if done is not None:
            await service.record_action(connection, form.session, action, done.target, now, done.detail)

    return await refusal_of(database, take)
