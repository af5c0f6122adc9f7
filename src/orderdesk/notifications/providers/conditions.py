"""The send condition: an order with `conditionEndpoint` is only sent if that endpoint agrees."""

from __future__ import annotations

import json

import structlog

from orderdesk.core.outbound import OutboundClient, OutboundFailure
from orderdesk.core.redaction import redacted_url

_log = structlog.get_logger(__name__)


class SendConditionChecker:
    """GET the endpoint and read `{"sendNotification": true|false}`.

    Anything else (an error status, a body that does not say, no answer within the deadline, no
    connection, an address orderdesk does not call) is inconclusive: None.
    """

    def __init__(self, client: OutboundClient, deadline_seconds: float) -> None:
        self._client = client
        self._deadline_seconds = deadline_seconds

    async def check(self, url: str, *, attempt: int = 1) -> bool | None:
        """The endpoint's verdict; an inconclusive check is logged as a warning with its `attempt`
        number (1 for the first) and the URL without the values of credential-like parameters."""
        log = _log.bind(url=redacted_url(url), attempt=attempt)
        try:
            answer = await self._client.get(
                url, deadline_seconds=self._deadline_seconds, headers={"Accept": "application/json"}
            )
        except OutboundFailure as failure:
            log.warning("send_condition_inconclusive", error=str(failure))
            return None
        if answer.status_code != 200:
            log.warning("send_condition_inconclusive", status=answer.status_code)
            return None
        try:
            verdict = json.loads(answer.body).get("sendNotification")
        except (ValueError, AttributeError, RecursionError):  # not JSON, or not an object
            log.warning("send_condition_inconclusive", error="no sendNotification in the answer")
            return None
        return verdict if isinstance(verdict, bool) else None

    async def aclose(self) -> None:
        await self._client.aclose()
