"""HTTP endpoints of data orders under `/api/v1/rs-order`."""

from fastapi import APIRouter

from orderdesk.dataorders.api import basket, downloads, files, metalink, orders

router = APIRouter()
router.include_router(basket.router)
router.include_router(orders.router)
router.include_router(files.router)
# before downloads: `/user/orders/metalink/download` would otherwise match `/user/orders/{id}/download`
router.include_router(metalink.router)
router.include_router(downloads.router)
