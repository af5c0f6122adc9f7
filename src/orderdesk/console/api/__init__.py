"""The console's web edge: its pages, their style sheet and the session they need."""

from __future__ import annotations

from fastapi import APIRouter

from orderdesk.console.api import (
    audit,
    clients,
    data_orders,
    failures,
    orders,
    overview,
    pages,
    purchases,
    recipients,
)

router = APIRouter(include_in_schema=False)
"""Kept out of the OpenAPI document: the console is pages for people, not an API."""
router.include_router(pages.router)
router.include_router(overview.router)
router.include_router(clients.router)
router.include_router(audit.router)
router.include_router(failures.router)
router.include_router(data_orders.router)
router.include_router(purchases.router)
router.include_router(orders.router)
router.include_router(recipients.router)
