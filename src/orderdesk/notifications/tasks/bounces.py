"""The bounce intake: a small SMTP listener in the worker that reads delivery status notifications
(rules.bounces) and applies them to their e-mail notification (service.reports)."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable
from datetime import datetime

import structlog
from aiosmtpd.smtp import SMTP, Envelope, Session

from orderdesk.core.db import Database
from orderdesk.notifications.models import Channel
from orderdesk.notifications.rules.bounces import Outcome, parse_bounce
from orderdesk.notifications.service.reports import apply_reports
from orderdesk.settings import NotificationSettings

_log = structlog.get_logger(__name__)


class BounceIntake:
    """An SMTP listener for bounces: accepts every message, applies what it can, keeps the rest.

    It answers 250 to all mail it could read or judged worthless, so that the sending server does not
    retry it; only when our database cannot record a report does it answer 451, asking for a retry.
    """

    def __init__(
        self,
        database: Database,
        clock: Callable[[], datetime],
        *,
        host: str,
        port: int,
        max_dead_rows: int,
    ) -> None:
        self._database = database
        self._clock = clock
        self._max_dead_rows = max_dead_rows
        self.host = host
        self.port = port
        self._server: asyncio.Server | None = None
        self._sessions: weakref.WeakSet[SMTP] = weakref.WeakSet()

    @classmethod
    def from_settings(
        cls, settings: NotificationSettings, database: Database, clock: Callable[[], datetime]
    ) -> BounceIntake:
        assert settings.bounce_smtp_port is not None, "the intake is only built when a port is set"
        return cls(
            database,
            clock,
            host=settings.bounce_smtp_host,
            port=settings.bounce_smtp_port,
            max_dead_rows=settings.dead_report_max_rows,
        )

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(self._session, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]  # the port chosen, when given 0
        _log.info("bounce_intake_listening", host=self.host, port=self.port)

    def _session(self) -> SMTP:
        session = SMTP(self, hostname="orderdesk-bounces", ident="orderdesk bounce intake")
        self._sessions.add(session)
        return session

    async def stop(self) -> None:
        if self._server is None:
            return
        self._server.close()
        for session in list(self._sessions):
            transport = getattr(session, "transport", None)
            if transport is not None:
                transport.close()
        self._sessions.clear()
        await self._server.wait_closed()
        self._server = None

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        bounce = parse_bounce(content, list(envelope.rcpt_tos))
        log = _log.bind(
            notification_id=str(bounce.notification_id) if bounce.notification_id else None,
            outcome=bounce.outcome.value,
        )
        report = bounce.report()
        if report is None:
            if bounce.outcome is Outcome.UNREADABLE:
                log.warning("bounce_dropped", reason=bounce.raw.get("error"))
            else:
                log.info("bounce_ignored", status=bounce.raw.get("status"))
            return "250 OK"
        try:
            async with self._database.transaction() as connection:
                applied = await apply_reports(
                    connection, Channel.EMAIL, [report], now=self._clock(), max_dead_rows=self._max_dead_rows
                )
        except Exception:
            log.exception("bounce_not_recorded")
            return "451 4.3.0 Could not record the report, try again later"
        dead = {reason.value: count for reason, count in applied.dead.items()}
        log.info("bounce_received", applied=applied.applied, dead=dead, dropped=applied.dropped)
        return "250 OK"
