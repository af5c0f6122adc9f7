"""HTTP endpoints of data orders under `/api/v1/rs-order`."""

from fastapi import APIRouter

from orderdesk.dataorders.routes import basket, files, orders

router = APIRouter()
router.include_router(basket.router)
router.include_router(orders.router)
router.include_router(files.router)
