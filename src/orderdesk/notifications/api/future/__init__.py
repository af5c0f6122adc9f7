"""HTTP endpoints of the current notification API generation, under `/notifications/api/v1/future`:
order chains, instant and composed orders, shipments, the status feed, the support look-up and the
dialog log. Same authentication as v1; problems carry the original's `code` (`NOT-00001` …)."""

from fastapi import APIRouter

from orderdesk.notifications.api.future import instant

router = APIRouter()
router.include_router(instant.router)
