"""Requests of one user at the same moment: downloads finishing together still end their sub-order
(and unblock the next), placements at once neither fail nor order one basket twice."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from orderdesk.dataorders.tasks import StagingWorker
from tests.integration.dataorders.flow import API, order_all, order_of, stage_everything, status_of


async def test_downloads_finishing_together__suborder_ends__next_one_staged(
    http: httpx.AsyncClient, user: dict[str, str], worker: StagingWorker, big_catalog: Path, catalog: Path
) -> None:
    blocking = await order_all(http, user, "big")
    await stage_everything(worker)  # two sub-orders of `big` staged; its third waits
    small = await order_all(http, user, "ds1")
    _code, page = await status_of(http, user, blocking)

    responses = await asyncio.gather(
        *(http.get(item["uri"].removeprefix("http://testserver"), headers=user) for item in page["content"])
    )

    assert [response.status_code for response in responses] == [200, 200]
    order = await order_of(http, user, blocking)
    assert (order["availableFilesCount"], order["waitingForUser"]) == (0, False)
    await stage_everything(worker)
    assert (await order_of(http, user, blocking))["availableFilesCount"] == 1
    assert (await order_of(http, user, small))["status"] == "DONE"


async def test_applied_orders_at_once__all_granted_with_labels_of_their_own(
    http: httpx.AsyncClient, user: dict[str, str], catalog: Path
) -> None:
    responses = await asyncio.gather(
        *(
            http.post(f"{API}/user/orders/apply", json={"queries": ["productId:A"]}, headers=user)
            for _ in range(4)
        )
    )

    assert [response.status_code for response in responses] == [200] * 4
    listed = (await http.get(f"{API}/user/orders", headers=user)).json()["content"]
    assert len({order["label"] for order in listed}) == 4


async def test_basket_ordered_twice_at_once__one_order(
    http: httpx.AsyncClient, user: dict[str, str], catalog: Path
) -> None:
    await http.post(f"{API}/order/basket/selection", json={"dataset": "ds1"}, headers=user)

    responses = await asyncio.gather(
        http.post(f"{API}/user/orders", json={"label": "a"}, headers=user),
        http.post(f"{API}/user/orders", json={"label": "b"}, headers=user),
    )

    assert sorted(response.status_code for response in responses) == [201, 204]
    assert len((await http.get(f"{API}/user/orders", headers=user)).json()["content"]) == 1
