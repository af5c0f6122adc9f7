"""HTTP endpoints of notification orders under `/notifications/api/v1`: the v1 orders, the current
generation under `/future`, and the delivery reports providers send back."""

from fastapi import APIRouter

from orderdesk.notifications.api import future, orders, reports

router = APIRouter()
router.include_router(orders.router)
router.include_router(future.router)
router.include_router(reports.router)
