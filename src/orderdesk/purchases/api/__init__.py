"""HTTP endpoints of purchase orders: the OAuth2 token endpoint and `/capi/v1`."""

from fastapi import APIRouter

from orderdesk.purchases.api import customer, oauth, orders

router = APIRouter()
router.include_router(oauth.router)
router.include_router(orders.router)
router.include_router(customer.router)
