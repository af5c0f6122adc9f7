"""The send condition: an order with `conditionEndpoint` is only sent if that endpoint agrees."""

from __future__ import annotations

import httpx
import structlog

_log = structlog.get_logger(__name__)


class SendConditionChecker:
    """GET the endpoint and read `{"sendNotification": true|false}`.

    Anything else (an error status, a body that does not say, a timeout, no connection) is
    inconclusive: None.
    """

    def __init__(self, timeout_seconds: float) -> None:
        self._client = httpx.AsyncClient(timeout=timeout_seconds, follow_redirects=False)

    async def check(self, url: str) -> bool | None:
        try:
            response = await self._client.get(url, headers={"Accept": "application/json"})
            if response.status_code != 200:
                _log.info("send_condition_inconclusive", url=url, status=response.status_code)
                return None
            answer = response.json().get("sendNotification")
        except (httpx.HTTPError, ValueError, AttributeError) as error:
            _log.info("send_condition_inconclusive", url=url, error=repr(error))
            return None
        return answer if isinstance(answer, bool) else None

    async def aclose(self) -> None:
        await self._client.aclose()
