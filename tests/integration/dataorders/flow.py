"""Steps of a data order through the HTTP API, shared by the data-order tests."""

from __future__ import annotations

import hashlib
from typing import Any

import httpx

from orderdesk.dataorders.tasks import StagingWorker

API = "/api/v1/rs-order"
MIB = 1024 * 1024


async def order_all(http: httpx.AsyncClient, user: dict[str, str], dataset: str) -> int:
    added = await http.post(f"{API}/order/basket/selection", json={"dataset": dataset}, headers=user)
    assert added.status_code == 200, added.text
    placed = await http.post(f"{API}/user/orders", json={}, headers=user)
    assert placed.status_code == 201, placed.text
    order_id: int = placed.json()["id"]
    return order_id


async def status_of(http: httpx.AsyncClient, user: dict[str, str], order_id: int) -> tuple[int, Any]:
    response = await http.get(f"{API}/user/orders/{order_id}/files/available", headers=user)
    return response.status_code, (response.json() if response.content else None)


async def download(http: httpx.AsyncClient, user: dict[str, str], item: dict[str, Any]) -> bytes:
    response = await http.get(item["uri"].removeprefix("http://testserver"), headers=user)
    assert response.status_code == 200, response.text
    assert int(response.headers["content-length"]) == item["fileSize"]
    assert hashlib.md5(response.content, usedforsecurity=False).hexdigest() == item["checksum"]
    return response.content


async def files_of(http: httpx.AsyncClient, user: dict[str, str], order_id: int) -> dict[str, str]:
    """Every file of the order by name, with its state."""
    response = await http.get(f"{API}/user/orders/{order_id}/files?size=1000", headers=user)
    assert response.status_code == 200, response.text
    return {item["filename"]: item["state"] for item in response.json()["content"]}


async def order_of(http: httpx.AsyncClient, user: dict[str, str], order_id: int) -> dict[str, Any]:
    response = await http.get(f"{API}/user/orders/{order_id}", headers=user)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def stage_everything(worker: StagingWorker) -> None:
    """Step the staging worker until it has nothing it may stage."""
    while await worker.step() == 0.0:
        pass
