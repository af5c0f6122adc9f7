"""What any client may send the console's pages, crafted or not, on SQLite and PostgreSQL: a value no
stored one can be (a NUL, a number past the database's integers, a time past its range) is a 4xx page
naming it, never a 500."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from uuid import uuid4

import httpx
import pytest

from orderdesk.console.paging import encode_cursor
from tests.integration.console.reading import assert_refused_page
from tests.support.console import csrf_of

HUGE = 10**30
EARLIEST = datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=5)))
"""The first instant Python knows, in a zone east of UTC: a time before any the databases store."""


@pytest.mark.usefixtures("viewer")
@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/console/data-orders", {"owner": "a\x00b"}),
        ("/console/purchases", {"client": "a\x00b"}),
        ("/console/data-orders", {"cursor": encode_cursor((HUGE,))}),
        ("/console/purchases", {"cursor": encode_cursor((-HUGE,))}),
        ("/console/failures/delivery-reports", {"cursor": encode_cursor((HUGE,))}),
        ("/console/failures/callbacks", {"cursor": encode_cursor((HUGE,))}),
        ("/console/failures/data-files", {"cursor": encode_cursor((EARLIEST, str(uuid4())))}),
        ("/console/audit", {"cursor": encode_cursor((datetime.now(UTC), HUGE))}),
        ("/console/audit", {"cursor": encode_cursor((EARLIEST, 1))}),
        (
            "/console/failures/notifications",
            {"channel": "email", "reason": "Failed", "cursor": encode_cursor((EARLIEST, str(uuid4())))},
        ),
    ],
)
async def test_list__a_value_no_database_stores__400_page_naming_it(
    client: httpx.AsyncClient, path: str, query: dict[str, str]
) -> None:
    answer = await client.get(path, params=query)

    assert answer.status_code == 400, answer.text
    assert answer.headers["content-type"].startswith("text/html")
    assert next(iter(query)) in answer.text or "cursor" in answer.text


async def test_sign_in__an_address_with_a_nul__refused_as_a_wrong_address(client: httpx.AsyncClient) -> None:
    form = await client.get("/console/sign-in")

    answer = await client.post(
        "/console/sign-in", data={"email": "a\x00b@example.org", "password": "x", "csrf_token": csrf_of(form)}
    )

    assert_refused_page(answer, 401, "The e-mail address or the password is wrong.")
