"""The whole purchase flow against a real `orderdesk serve` (API and workers in one process), set
up with the commands an operator types: `orderdesk products import` and `orderdesk clients add`."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.support.http_stub import HttpStub, http_stub
from tests.support.processes import serving, wait_until_healthy
from tests.support.purchases_api import CAPI, bearer_of, order_body, shop_home
from tests.support.windows import within_one_window

pytestmark = pytest.mark.slow
_DEADLINE_SECONDS = 30.0
_PER_SECOND = 20
"""The server's per-second limit here: a burst one over it completes well within its second on a
busy machine (101 calls under the default 100 did not always), and the polls stay below it."""


async def status_until(http: httpx.AsyncClient, order_id: int, wanted: str) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + _DEADLINE_SECONDS
    while True:
        response = await http.get(f"{CAPI}/client/order/status/{order_id}")
        assert response.status_code == 200, response.text
        order: dict[str, Any] = response.json()["orders"][0]
        if order["orderStatus"] == wanted or loop.time() > deadline:
            return order
        await asyncio.sleep(0.1)


async def callbacks_until(stub: HttpStub, count: int) -> dict[str, str]:
    """The fulfillmentStatus of each order called back, by order id."""
    for _ in range(int(_DEADLINE_SECONDS * 10)):
        if len(stub.requests) >= count:
            break
        await asyncio.sleep(0.1)
    heard = [parse_qs(urlsplit(path).query) for path in stub.requests]
    return {query["orderId"][0]: query["fulfillmentStatus"][0] for query in heard}


async def test_serve__purchase_flow__processed_failed_called_back_and_throttled(
    tmp_path: Path, database_env: dict[str, str]
) -> None:
    home = tmp_path / "home"
    credentials = shop_home(home, database_env)

    env = {**database_env, "ORDERDESK_PURCHASES_RATE_LIMIT_PER_SECOND": str(_PER_SECOND)}
    with serving(home, env) as server, http_stub() as stub:
        await wait_until_healthy(server)
        async with httpx.AsyncClient(base_url=server.base_url) as http:
            http.headers.update(await bearer_of(http, credentials))
            unknown = [{"productSpecType": "product", "product": "NOPE"}]
            good = (await http.post(f"{CAPI}/client/order", json=order_body())).json()["orderId"]
            bad = (await http.post(f"{CAPI}/client/order", json=order_body(orderLines=unknown))).json()[
                "orderId"
            ]
            assert (await status_until(http, good, "preliminary"))["orderStatus"] == "preliminary"

            callback = stub.answer("/fulfilled")
            for order_id in (good, bad):
                answer = await http.post(
                    f"{CAPI}/client/order/fulfillment", json={"orderId": order_id, "callbackUrl": callback}
                )
                assert answer.json()["fulfillmentStatus"] == "OK"
            processed = await status_until(http, good, "processed")
            failed = await status_until(http, bad, "failed")
            heard = await callbacks_until(stub, 2)

            await asyncio.sleep(1.0)  # a fresh per-second window
            url = f"{CAPI}/client/order/status/{good}"
            # The server keeps real time: a burst slower than its window is sent again.
            burst = await within_one_window(
                lambda: asyncio.gather(*(http.get(url) for _ in range(_PER_SECOND + 1)))
            )

    assert processed["orderStatus"] == "processed"
    assert failed["orderStatus"] == "failed"
    assert heard == {str(good): "success", str(bad): "failed"}
    assert sorted(answer.status_code for answer in burst) == [200] * _PER_SECOND + [429]
