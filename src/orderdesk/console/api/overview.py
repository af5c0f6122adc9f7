"""The console's overview at `/console/`: orders by status per family, notifications sent and failed
per minute over a day, the queues, the worker processes and the last error of each provider."""

from __future__ import annotations

from datetime import datetime, timedelta

from fastapi import APIRouter
from fastapi.responses import Response

from orderdesk.console import service
from orderdesk.console.api.chart import minute_chart
from orderdesk.console.api.deps import page
from orderdesk.console.api.guard import OperatorDep
from orderdesk.console.models import QUEUE_COUNT_CAP, STATUS_COUNT_CAP
from orderdesk.web.deps import DatabaseDep, NowDep
from orderdesk.web.log_context import OrderLoggedRoute

router = APIRouter(prefix="/console", route_class=OrderLoggedRoute)

QUEUE_NAMES = {
    "notification-orders": "Notification orders (to be processed)",
    "email": "E-mail notifications",
    "sms": "SMS notifications",
}


@router.get("/")
async def get_overview(session: OperatorDep, database: DatabaseDep, now: NowDep) -> Response:
    """Signed in: the overview, for viewers and admins alike. Otherwise 303 to the sign-in page."""
    async with database.read() as connection:
        overview = await service.overview(connection, now)
    return page(
        "overview.html",
        session=session,
        overview=overview,
        chart=minute_chart(overview.minutes, overview.channels, now),
        queue_names=QUEUE_NAMES,
        depth_cap=QUEUE_COUNT_CAP,
        status_cap=STATUS_COUNT_CAP,
        ago=lambda moment: age(now - moment),
        utc=utc,
    )


def age(elapsed: timedelta) -> str:
    """A duration as an operator reads it at a glance: "45 s", "12 min", "3 h 5 min", "2 d 4 h"."""
    seconds = max(0, int(elapsed.total_seconds()))
    minutes, hours, days = seconds // 60, seconds // 3600, seconds // 86400
    if seconds < 60:
        return f"{seconds} s"
    if minutes < 60:
        return f"{minutes} min"
    if hours < 24:
        return f"{hours} h {minutes % 60} min"
    return f"{days} d {hours % 24} h"


def utc(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M:%S} UTC"
