"""Taking a dataset out of the catalogue (`orderdesk catalog remove`): it can be ordered no more and
baskets lose it, while orders placed from it keep what they ordered."""

from __future__ import annotations

from pathlib import Path

import httpx

from orderdesk.core.db import Database
from orderdesk.dataorders.service.catalogue import remove_dataset
from tests.conftest import Tokens
from tests.integration.dataorders.flow import API, order_all, order_of

BASKET = f"{API}/order/basket"


async def removed(database: Database, name: str) -> bool:
    async with database.transaction() as connection:
        return await remove_dataset(connection, name)


async def test_remove_dataset__baskets_lose_it_orders_keep_their_files_and_it_cannot_be_chosen(
    client: httpx.AsyncClient, database: Database, catalog: Path, tokens: Tokens
) -> None:
    ordering, browsing = tokens.user("ola@example.com"), tokens.user("kari@example.com")
    order_id = await order_all(client, ordering, "ds1")
    selected = await client.post(f"{BASKET}/selection", json={"dataset": "ds1"}, headers=browsing)
    assert selected.status_code == 200, selected.text

    assert await removed(database, "ds1") is True

    basket = await client.get(BASKET, headers=browsing)
    chosen_again = await client.post(f"{BASKET}/selection", json={"dataset": "ds1"}, headers=browsing)
    files = await client.get(f"{API}/user/orders/{order_id}/files", headers=ordering)
    assert basket.json()["selections"] == []
    assert chosen_again.status_code == 404
    assert (await order_of(client, ordering, order_id))["id"] == order_id
    assert files.json()["metadata"]["totalElements"] == 4
    assert await removed(database, "ds1") is False
