"""The console's API clients page through HTTP, on SQLite and PostgreSQL: the list the CLI prints, an
admin adding a client (the secret shown once) and revoking one, each in the audit trail; a viewer's or
a forged POST refused."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import httpx
import pytest

from orderdesk.console.models import Role
from orderdesk.core.db import Database
from orderdesk.purchases.models import NewClient
from orderdesk.purchases.service.clients import register_client
from tests.conftest import Clock
from tests.support.console import csrf_of, post_form, signed_in

CLIENTS = "/console/clients"


async def registered(database: Database, name: str) -> NewClient:
    """A client added as `orderdesk clients add NAME` does."""
    async with database.transaction() as connection:
        return await register_client(connection, name, datetime.now(UTC))


async def token_answer(http: httpx.AsyncClient, client_id: str, secret: str) -> int:
    """The status `POST /oauth/token` answers the client with these credentials."""
    form = {"grant_type": "client_credentials"}
    return (await http.post("/oauth/token", data=form, auth=(client_id, secret))).status_code


async def add_client(http: httpx.AsyncClient, name: str) -> httpx.Response:
    return await post_form(http, CLIENTS, CLIENTS, {"name": name})


def shown(answer: httpx.Response, css_class: str) -> str:
    match = re.search(rf'<code class="{css_class}">([^<]+)</code>', answer.text)
    assert match, answer.text
    return match.group(1)


async def test_clients__viewer__sees_every_client_and_no_admin_button(
    client: httpx.AsyncClient, database: Database, clock: Clock
) -> None:
    shop = await registered(database, "Web <shop>")
    await signed_in(client, database, clock, "viewer@example.org", Role.VIEWER)

    listing = await client.get(CLIENTS)

    assert listing.status_code == 200
    assert "Web &lt;shop&gt;" in listing.text
    assert shop.client_id in listing.text
    assert shop.client_secret not in listing.text
    assert "active" in listing.text
    assert "Add the client" not in listing.text
    assert "Revoke" not in listing.text


async def test_clients__viewer_posting__403_and_nothing_changed(
    client: httpx.AsyncClient, database: Database, clock: Clock
) -> None:
    shop = await registered(database, "shop")
    await signed_in(client, database, clock, "viewer@example.org", Role.VIEWER)
    token = csrf_of(await client.get(CLIENTS))

    added = await client.post(CLIENTS, data={"name": "sneaky", "csrf_token": token})
    revoked = await client.post(f"{CLIENTS}/{shop.client_id}/revoke", data={"csrf_token": token})

    assert added.status_code == revoked.status_code == 403
    assert "Viewers see everything and change nothing." in added.text
    listing = await client.get(CLIENTS)
    assert "sneaky" not in listing.text
    assert "revoked" not in listing.text
    assert await token_answer(client, shop.client_id, shop.client_secret) == 200


async def test_clients__admin_without_the_csrf_token__403_and_nothing_changed(
    client: httpx.AsyncClient, database: Database, clock: Clock
) -> None:
    shop = await registered(database, "shop")
    await signed_in(client, database, clock, "admin@example.org", Role.ADMIN)

    for token in ({}, {"csrf_token": "forged"}):
        assert (await client.post(CLIENTS, data={"name": "forged", **token})).status_code == 403
        assert (await client.post(f"{CLIENTS}/{shop.client_id}/revoke", data=token)).status_code == 403

    assert "forged" not in (await client.get(CLIENTS)).text
    assert await token_answer(client, shop.client_id, shop.client_secret) == 200
    assert "No admin action matches." in (await client.get("/console/audit")).text


@pytest.mark.usefixtures("admin")
async def test_add_client__admin__the_secret_shown_once_works_and_the_action_is_audited(
    client: httpx.AsyncClient,
) -> None:
    added = await add_client(client, "  Web shop  ")

    assert added.status_code == 200
    assert "shown only on this page" in added.text
    client_id, secret = shown(added, "client-id"), shown(added, "client-secret")
    signing_secret = shown(added, "callback-signing-secret")
    assert signing_secret.startswith("whsec_")
    assert await token_answer(client, client_id, secret) == 200
    listing = await client.get(CLIENTS)
    assert f'<tr id="client-{client_id}">' in listing.text
    assert "<td>Web shop</td>" in listing.text
    assert secret not in listing.text
    assert signing_secret not in listing.text
    audit = await client.get("/console/audit")
    assert secret not in audit.text
    assert signing_secret not in audit.text
    assert "admin@example.org" in audit.text
    assert "<td>add</td>" in audit.text
    assert f'href="/console/clients#client-{client_id}"' in audit.text
    assert "name: Web shop" in audit.text


@pytest.mark.usefixtures("admin")
@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "A client name of 1 to 200"),
        ("x" * 201, "A client name of 1 to 200"),
        ("a\tb", "without control"),
    ],
    ids=["empty", "long", "control-character"],
)
async def test_add_client__bad_name__400_naming_it_and_nothing_stored(
    client: httpx.AsyncClient, name: str, message: str
) -> None:
    refused = await add_client(client, name)

    assert refused.status_code == 400
    assert message in refused.text
    assert "No client is registered." in refused.text
    assert "No admin action matches." in (await client.get("/console/audit")).text


async def test_add_client__a_name_another_client_has__added_as_the_cli_does__each_revoked_by_its_id(
    client: httpx.AsyncClient, database: Database, clock: Clock
) -> None:
    shop = await registered(database, "shop")
    await signed_in(client, database, clock, "admin@example.org", Role.ADMIN)

    added = await add_client(client, "shop")

    assert added.status_code == 200
    second = shown(added, "client-id")
    listing = await client.get(CLIENTS)
    assert listing.text.count("<td>shop</td>") == 2
    revoked = await client.post(f"{CLIENTS}/{second}/revoke", data={"csrf_token": csrf_of(listing)})
    assert revoked.status_code == 303
    assert await token_answer(client, shop.client_id, shop.client_secret) == 200
    assert (await client.get(CLIENTS)).text.count(">Revoke</button>") == 1


async def test_revoke_client__admin__no_token_any_more__listed_as_revoked__audited_once(
    client: httpx.AsyncClient, database: Database, clock: Clock
) -> None:
    shop = await registered(database, "shop")
    other = await registered(database, "other shop")
    await signed_in(client, database, clock, "admin@example.org", Role.ADMIN)
    token = csrf_of(await client.get(CLIENTS))

    revoked = await client.post(f"{CLIENTS}/{shop.client_id}/revoke", data={"csrf_token": token})
    again = await client.post(f"{CLIENTS}/{shop.client_id}/revoke", data={"csrf_token": token})

    assert revoked.status_code == again.status_code == 303
    assert revoked.headers["location"] == CLIENTS
    assert await token_answer(client, shop.client_id, shop.client_secret) == 401
    assert await token_answer(client, other.client_id, other.client_secret) == 200
    listing = await client.get(CLIENTS)
    assert listing.text.count("revoked 2") == 1
    assert listing.text.count(">Revoke</button>") == 1  # only the active client's
    audit = await client.get("/console/audit")
    assert audit.text.count("<td>revoke</td>") == 1
    assert f'href="/console/clients#client-{shop.client_id}"' in audit.text


@pytest.mark.usefixtures("admin")
async def test_revoke_client__unknown__404_with_a_message(client: httpx.AsyncClient) -> None:
    token = csrf_of(await client.get(CLIENTS))

    refused = await client.post(f"{CLIENTS}/nobody/revoke", data={"csrf_token": token})

    assert refused.status_code == 404
    assert "No client of the purchase API has that id or name." in refused.text


async def test_clients_and_audit__without_a_session__303_to_sign_in(client: httpx.AsyncClient) -> None:
    for path in (CLIENTS, "/console/audit"):
        answer = await client.get(path)
        assert answer.status_code == 303
        assert answer.headers["location"] == "/console/sign-in"
    posted = await client.post(CLIENTS, data={"name": "shop"})
    assert posted.headers["location"] == "/console/sign-in"
