"""HTTP endpoints of the current notification API generation, under `/notifications/api/v1/future`:
order chains, instant and composed orders, shipments, the status feed, the support look-up and the
dialog log. Same authentication as v1; problems carry the original's `code` (`NOT-00001` …)."""

from fastapi import APIRouter

from orderdesk.notifications.api.future import composed, dashboard, instant, log, orders, shipments

router = APIRouter()
router.include_router(orders.router)
router.include_router(instant.router)
router.include_router(composed.router)
# The feed's path is declared before `/shipment/{id}` in `shipments`, which would otherwise take it.
router.include_router(shipments.router)
router.include_router(dashboard.router)
router.include_router(log.router)
