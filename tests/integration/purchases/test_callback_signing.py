"""Fulfilment callbacks carry Standard Webhooks signature headers: a receiver holding the client's
callback signing secret verifies the request's raw query string with the specification's own library,
the id stays the same when the callback is made again, and another secret does not verify."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import httpx
import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from orderdesk.core.db import Database
from orderdesk.purchases.tasks.callbacks import CallbackWorker
from orderdesk.purchases.tasks.fulfilment import FulfilmentWorker
from tests.conftest import Clock
from tests.support.http_stub import HttpStub, http_stub
from tests.support.purchases_api import Caller, fulfil, order_body, register, register_caller


def verified(stub: HttpStub, index: int, secret: str) -> str:
    """The raw query of the stub's `index`-th request, once its signature verified with `secret`."""
    raw_query = urlsplit(stub.requests[index]).query
    Webhook(secret).verify(raw_query.encode(), stub.headers[index], json_parse=False)
    return raw_query


async def test_callback__signed_over_its_raw_query__verified_with_the_clients_secret(
    client: httpx.AsyncClient, caller: Caller, fulfilment: FulfilmentWorker, callbacks: CallbackWorker
) -> None:
    order_id = await register(client, caller, order_body())
    with http_stub() as stub:
        url = stub.answer("/cb")
        # the URL's own query, with an escape the receiver must not decode before verifying
        await fulfil(client, caller, order_id, f"{url}?shop=a%2Fb&flag")
        await fulfilment.step()
        await callbacks.step_and_settle()

    assert caller.callback_signing_secret.startswith("whsec_")
    assert verified(stub, 0, caller.callback_signing_secret) == (
        f"shop=a%2Fb&flag&fulfillmentStatus=success&orderId={order_id}"
    )
    assert stub.headers[0]["webhook-id"] == f"msg_purchase_order_{order_id}"


async def test_callback__made_again_after_a_failure__same_id__each_call_verifies(
    client: httpx.AsyncClient,
    caller: Caller,
    fulfilment: FulfilmentWorker,
    callbacks: CallbackWorker,
    clock: Clock,
) -> None:
    order_id = await register(client, caller, order_body())
    with http_stub() as stub:
        url = stub.answer("/cb", 503)
        await fulfil(client, caller, order_id, url)
        await fulfilment.step()
        await callbacks.step_and_settle()
        stub.answer("/cb", 200)
        clock.advance(timedelta(seconds=11))
        await callbacks.step_and_settle()

    assert len(stub.requests) == 2
    assert stub.headers[0]["webhook-id"] == stub.headers[1]["webhook-id"]
    for index in (0, 1):
        assert verified(stub, index, caller.callback_signing_secret) == (
            f"fulfillmentStatus=success&orderId={order_id}"
        )


async def test_callback__another_clients_secret__does_not_verify(
    client: httpx.AsyncClient,
    caller: Caller,
    database: Database,
    fulfilment: FulfilmentWorker,
    callbacks: CallbackWorker,
) -> None:
    other = await register_caller(client, database, "another shop")
    order_id = await register(client, caller, order_body())
    with http_stub() as stub:
        url = stub.answer("/cb")
        await fulfil(client, caller, order_id, url)
        await fulfilment.step()
        await callbacks.step_and_settle()

    assert other.callback_signing_secret != caller.callback_signing_secret
    with pytest.raises(WebhookVerificationError):
        verified(stub, 0, other.callback_signing_secret)
    # nor does the right secret over a query changed on the way (the order's outcome forged)
    forged = urlsplit(stub.requests[0]).query.replace("success", "failed")
    with pytest.raises(WebhookVerificationError):
        Webhook(caller.callback_signing_secret).verify(forged.encode(), stub.headers[0], json_parse=False)
