"""Issue 13, finding 2: one slow endpoint must hold back only its own order, never another tenant's.

The endpoint is a real listener that answers `200 OK` at once and then sends one byte a second: a
timeout per read never fires on it, only an overall deadline does. While it hangs, another
organisation's order (another client's callback) must go through; the slow call ends at the deadline.
A stop that cannot wait for such a call hands its order (or callback) back, due at once: nothing is
lost, and nothing waits out a lease.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx

from orderdesk.core.db import Database
from orderdesk.core.outbound import OutboundClient
from orderdesk.core.wakeup import Wakeups
from orderdesk.notifications.tasks.pipeline import NotificationPipeline
from orderdesk.purchases.tasks.callbacks import CallbackRules, CallbackWorker
from orderdesk.purchases.tasks.fulfilment import FulfilmentWorker
from orderdesk.settings import Settings
from tests.conftest import Clock, Tokens
from tests.factories.notifications import email_order
from tests.security.running import serving
from tests.support.http_stub import http_stub
from tests.support.notifications_api import place, processing_status
from tests.support.purchases_api import fulfil, load_catalog, order_body, register, register_caller
from tests.support.slow_listener import SlowListener, slow_listener
from tests.support.waiting import eventually

DEADLINE = 10.0
"""The overall deadline of one outbound call in these tests (the condition and callback setting)."""
SOON = 10.0
"""Generous: an ordinary order completes, and a callback arrives, well under a second."""


HANG_UP_NOTICED = 2.0
"""The listener sees a caller hang up within 0.2 s; far below DEADLINE, so the stop hung up, not it."""


async def all_hung_up(slow: SlowListener) -> None:
    """Every call has ended: the stopped workers hung up rather than leaving a call open."""

    async def none_hanging() -> bool:
        return not slow.hanging()

    await eventually(none_hanging, within=HANG_UP_NOTICED, what="every slow call hung up")


def quick(settings: Settings) -> Settings:
    """Workers that poll often, with the deadline above and no retry of a callback during the test."""
    notifications = settings.notifications.model_copy(
        update={"worker_poll_seconds": 0.2, "condition_timeout_seconds": DEADLINE}
    )
    purchases = settings.purchases.model_copy(
        update={"poll_seconds": 0.2, "callback_timeout_seconds": DEADLINE, "callback_retry_base_seconds": 600}
    )
    return settings.model_copy(update={"notifications": notifications, "purchases": purchases})


def hung_up_at_the_deadline(slow: SlowListener) -> bool:
    [call] = slow.calls
    return call.ended is not None and DEADLINE - 1 <= call.ended - call.started < DEADLINE + SOON


async def test_condition_endpoint_that_hangs__another_organisations_order_completes_meanwhile(
    settings: Settings, database: Database, tokens: Tokens
) -> None:
    slow_org, other_org = tokens.bearer("slowcorp"), tokens.bearer("ttd")
    with slow_listener(byte_every_seconds=1.0) as slow:
        async with serving(quick(settings), database) as http:
            slow_order = await place(
                http,
                slow_org,
                "/orders/email",
                email_order(requestedSendTime=None, conditionEndpoint=f"{slow.base_url}/condition"),
            )

            async def slow_endpoint_called() -> bool:
                return len(slow.calls) == 1

            await eventually(slow_endpoint_called, within=SOON, what="the slow condition endpoint called")
            other_order = await place(http, other_org, "/orders/email", email_order(requestedSendTime=None))

            async def other_completed() -> bool:
                return await processing_status(http, other_org, other_order) == "Completed"

            await eventually(other_completed, within=SOON, what="the other organisation's order completed")
            assert slow.hanging(), "the other order completed only once the slow call had ended"
            assert await processing_status(http, slow_org, slow_order) == "Processing"

            # At the deadline the check is inconclusive: the order goes back to wait for the retry.
            async def slow_order_decided() -> bool:
                return await processing_status(http, slow_org, slow_order) == "Registered"

            await eventually(slow_order_decided, within=DEADLINE + SOON, what="the slow order decided")
            assert hung_up_at_the_deadline(slow), slow.calls


async def test_callback_url_that_hangs__another_clients_callback_arrives_meanwhile(
    settings: Settings, database: Database
) -> None:
    await load_catalog(database)
    with slow_listener(byte_every_seconds=1.0) as slow, http_stub() as stub:
        async with serving(quick(settings), database) as http:
            slow_shop = await register_caller(http, database, "slowshop")
            other_shop = await register_caller(http, database, "othershop")
            slow_order = await register(http, slow_shop, order_body())
            await fulfil(http, slow_shop, slow_order, f"{slow.base_url}/hook")

            async def slow_callback_made() -> bool:
                return len(slow.calls) == 1

            await eventually(slow_callback_made, within=SOON, what="the slow callback URL called")
            other_order = await register(http, other_shop, order_body())
            await fulfil(http, other_shop, other_order, stub.answer("/hook", 200, "ok"))

            async def other_called_back() -> bool:
                return len(stub.requests) == 1

            await eventually(other_called_back, within=SOON, what="the other client's callback made")
            assert slow.hanging(), "the other callback was made only once the slow call had ended"
            assert parse_qs(urlsplit(stub.requests[0]).query)["orderId"] == [str(other_order)]

            async def slow_call_ended() -> bool:
                return not slow.hanging()

            await eventually(slow_call_ended, within=DEADLINE + SOON, what="the slow callback given up")
            assert hung_up_at_the_deadline(slow), slow.calls


async def test_stop_while_a_condition_endpoint_hangs__order_handed_back_and_taken_up_at_once(
    settings: Settings, database: Database, client: httpx.AsyncClient, auth: dict[str, str], clock: Clock
) -> None:
    def worker() -> NotificationPipeline:
        return NotificationPipeline.build(
            database,
            quick(settings).notifications,
            settings.home,
            clock,
            Wakeups(),
            outbound=settings.outbound,
        )

    with slow_listener(byte_every_seconds=1.0) as slow:
        stopping = worker()
        order_id = await place(
            client,
            auth,
            "/orders/email",
            email_order(requestedSendTime=None, conditionEndpoint=f"{slow.base_url}/condition"),
        )
        await stopping.schedule()

        async def called(times: int) -> bool:
            return len(slow.calls) == times

        await eventually(lambda: called(1), within=SOON, what="the slow condition endpoint called")
        await stopping.aclose()  # a stop that cannot wait for the call

        # Handed back, due at once: not left to wait out its lease, and not counted as a check.
        assert await processing_status(client, auth, order_id) == "Registered"
        next_worker = worker()
        try:
            await next_worker.schedule()
            await eventually(lambda: called(2), within=SOON, what="the next worker calling again")
        finally:
            await next_worker.aclose()
        await all_hung_up(slow)


async def test_stop_while_a_callback_url_hangs__callback_handed_back_and_made_at_once(
    settings: Settings, database: Database, client: httpx.AsyncClient, clock: Clock
) -> None:
    rules = CallbackRules(
        attempts=3,
        retry_base_seconds=600,
        retry_max_seconds=600,
        lease_seconds=60,
        timeout_seconds=DEADLINE,
        poll_seconds=1,
    )
    await load_catalog(database)
    shop = await register_caller(client, database)
    order_id = await register(client, shop, order_body())
    with slow_listener(byte_every_seconds=1.0) as slow:
        await fulfil(client, shop, order_id, f"{slow.base_url}/hook")
        await FulfilmentWorker(database, clock, batch=10, poll_seconds=1.0).step()
        stopping = CallbackWorker(database, rules, clock, OutboundClient(settings.outbound.policy))
        await stopping.step()

        async def called(times: int) -> bool:
            return len(slow.calls) == times

        await eventually(lambda: called(1), within=SOON, what="the slow callback URL called")
        await stopping.aclose()  # a stop that cannot wait for the call

        next_worker = CallbackWorker(database, rules, clock, OutboundClient(settings.outbound.policy))
        try:
            assert await next_worker.step() == 0.0  # due at once: not left to wait out its lease
            await eventually(lambda: called(2), within=SOON, what="the next worker calling again")
        finally:
            await next_worker.aclose()
        await all_hung_up(slow)
