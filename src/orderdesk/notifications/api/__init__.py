"""HTTP endpoints of notification orders under `/notifications/api/v1`: the orders and the delivery
reports providers send back."""

from fastapi import APIRouter

from orderdesk.notifications.api import orders, reports

router = APIRouter()
router.include_router(orders.router)
router.include_router(reports.router)
