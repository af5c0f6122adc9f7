"""Issue 13, finding 2 at scale: many slow endpoints of one tenant (more than a worker takes orders
at once) must not hold back another tenant's ordinary order (no head-of-line blocking across tenants):
one organisation gets at most half of a worker's places."""

from __future__ import annotations

from orderdesk.core.db import Database
from orderdesk.notifications.tasks.pipeline import ORDER_CONCURRENCY, ORDERS_PER_CREATOR
from orderdesk.settings import Settings
from tests.conftest import Tokens
from tests.factories.notifications import email_order
from tests.security.running import serving
from tests.security.test_slow_endpoints import SOON, quick
from tests.support.notifications_api import place, processing_status
from tests.support.slow_listener import slow_listener
from tests.support.waiting import eventually


async def test_condition_endpoints_that_hang_fill_every_slot__another_organisations_order_completes(
    settings: Settings, database: Database, tokens: Tokens
) -> None:
    slow_org, other_org = tokens.bearer("slowcorp"), tokens.bearer("ttd")
    slow_orders = ORDER_CONCURRENCY * 4
    with slow_listener(byte_every_seconds=1.0) as slow:
        async with serving(quick(settings), database) as http:
            for _ in range(slow_orders):
                await place(
                    http,
                    slow_org,
                    "/orders/email",
                    email_order(requestedSendTime=None, conditionEndpoint=f"{slow.base_url}/condition"),
                )

            async def slow_endpoints_called() -> bool:
                # Every place the slow organisation may hold is taken (all of them, before the fix).
                return len(slow.calls) >= ORDERS_PER_CREATOR

            await eventually(slow_endpoints_called, within=SOON, what="the slow condition endpoints called")
            other_order = await place(http, other_org, "/orders/email", email_order(requestedSendTime=None))

            async def other_completed() -> bool:
                return await processing_status(http, other_org, other_order) == "Completed"

            await eventually(other_completed, within=SOON, what="the other organisation's order completed")
            assert slow.hanging(), "the other order completed only once the slow calls had ended"
