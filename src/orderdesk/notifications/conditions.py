"""The send condition: an order with `conditionEndpoint` is only sent if that endpoint agrees."""

from __future__ import annotations

import json

import httpx
import structlog

_log = structlog.get_logger(__name__)
MAX_ANSWER_BYTES = 64 * 1024


class SendConditionChecker:
    """GET the endpoint and read `{"sendNotification": true|false}`.

    Anything else (an error status, a body that does not say, a timeout, no connection) is
    inconclusive: None.
    """

    def __init__(self, timeout_seconds: float) -> None:
        self._client = httpx.AsyncClient(timeout=timeout_seconds, follow_redirects=False)

    async def check(self, url: str) -> bool | None:
        try:
            async with self._client.stream("GET", url, headers={"Accept": "application/json"}) as response:
                if response.status_code != 200:
                    _log.info("send_condition_inconclusive", url=url, status=response.status_code)
                    return None
                body = b""
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) > MAX_ANSWER_BYTES:
                        _log.info("send_condition_inconclusive", url=url, error="answer too large")
                        return None
            answer = json.loads(body).get("sendNotification")
        except Exception as error:  # whatever the endpoint or its URL does, the answer is "unknown"
            _log.info("send_condition_inconclusive", url=url, error=repr(error))
            return None
        return answer if isinstance(answer, bool) else None

    async def aclose(self) -> None:
        await self._client.aclose()
