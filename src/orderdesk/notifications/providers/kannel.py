"""SMS through a Kannel gateway: smsbox's HTTP `sendsms` interface out, signed delivery reports back.

Each message asks Kannel for every delivery report (`dlr-mask=31`) at a `dlr-url` on this service
that names the notification and carries an HMAC of its id, so that only Kannel, which learnt the URL
from us, can report on a notification. The key is a setting, or a file created once in the home.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote
from uuid import UUID

import httpx
import structlog

from orderdesk.core.keyfile import load_or_create_key
from orderdesk.notifications.models import SmsStatus
from orderdesk.notifications.providers.base import SendResult, SmsMessage
from orderdesk.notifications.rules.delivery_reports import DLR_MASK, REPORT_PATH
from orderdesk.settings import NotificationSettings

_log = structlog.get_logger(__name__)

DLR_KEY_FILE = "kannel-dlr.key"

# GSM 03.38: the default alphabet, then the characters of its extension table (two septets each).
_GSM_ALPHABET = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà" + "\f^{}\\[~]|€"
)
_NUMBER_REFUSED = re.compile(r"receiver|number", re.IGNORECASE)
_AUTHORIZATION_FAILED = re.compile(r"authori[sz]ation failed", re.IGNORECASE)


def is_gsm_text(text: str) -> bool:
    """Whether the text fits the GSM 7-bit alphabet; anything else must travel as UCS-2."""
    return all(character in _GSM_ALPHABET for character in text)


@dataclass(frozen=True)
class ReportSigner:
    """Signs and checks the notification id in a delivery-report URL."""

    key: bytes

    def sign(self, notification_id: UUID) -> str:
        digest = hmac.new(self.key, str(notification_id).encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def verify(self, notification_id: UUID, signature: str) -> bool:
        return hmac.compare_digest(self.sign(notification_id).encode(), signature.encode())

    @classmethod
    def from_settings(cls, settings: NotificationSettings, home: Path) -> ReportSigner:
        if settings.kannel_dlr_secret is not None:
            return cls(settings.kannel_dlr_secret.get_secret_value().encode())
        return cls(load_or_create_key(home / DLR_KEY_FILE))


class KannelProvider:
    """Sends each SMS with one `sendsms` request; the answer decides the status.

    2xx (`0: Accepted for delivery`, `3: Queued for later delivery`) is Accepted, with the notification
    id as the reference the delivery reports will name. A 4xx about the receiver fails the notification
    as an invalid recipient, any other 4xx as Failed, except a refused login: that is the operator's to
    fix, so it pauses the provider and retries instead of failing the whole queue. 5xx, timeouts and
    connection errors are retried; 503 (Kannel's queue is full) and an unreachable gateway also pause
    the provider. Long texts need `max-messages` on Kannel's sendsms-user to be split.
    """

    name = "sms-kannel"

    def __init__(
        self,
        *,
        sendsms_url: str,
        username: str,
        password: str,
        public_base_url: str,
        signer: ReportSigner,
        throttle_seconds: float,
        timeout_seconds: float = 10.0,
    ) -> None:
        self._sendsms_url = sendsms_url
        self._username = username
        self._password = password
        self._report_url = public_base_url.rstrip("/") + REPORT_PATH
        self._signer = signer
        self._throttle_seconds = throttle_seconds
        self._http = httpx.AsyncClient(timeout=timeout_seconds)

    @classmethod
    def from_settings(cls, settings: NotificationSettings, home: Path) -> KannelProvider:
        if not settings.kannel_sendsms_url or not settings.kannel_username:
            raise ValueError("the kannel SMS provider needs ORDERDESK_KANNEL_SENDSMS_URL and _USERNAME")
        password = settings.kannel_password.get_secret_value() if settings.kannel_password else ""
        return cls(
            sendsms_url=settings.kannel_sendsms_url,
            username=settings.kannel_username,
            password=password,
            public_base_url=settings.public_base_url,
            signer=ReportSigner.from_settings(settings, home),
            throttle_seconds=settings.throttle_default_seconds,
            timeout_seconds=settings.kannel_timeout_seconds,
        )

    def report_url(self, notification_id: UUID) -> str:
        """The dlr-url: Kannel fills in %d (report type) and %A (the SMSC's answer) itself."""
        signature = self._signer.sign(notification_id)
        return f"{self._report_url}?id={notification_id}&sig={quote(signature)}&type=%d&answer=%A"

    async def send(self, message: SmsMessage) -> SendResult:
        params = {
            "username": self._username,
            "password": self._password,
            "from": message.sender,
            "to": message.mobile_number,
            "text": message.body,
            "charset": "UTF-8",
            "coding": "0" if is_gsm_text(message.body) else "2",
            "dlr-mask": str(DLR_MASK),
            "dlr-url": self.report_url(message.notification_id),
        }
        try:
            response = await self._http.get(self._sendsms_url, params=params)
        except httpx.ConnectError as error:
            return SendResult.retry(f"Kannel unreachable: {error}", throttle_seconds=self._throttle_seconds)
        except httpx.HTTPError as error:
            return SendResult.retry(f"Kannel request failed: {type(error).__name__}: {error}")
        return self._result(message, response)

    def _result(self, message: SmsMessage, response: httpx.Response) -> SendResult:
        answer = f"{response.status_code} {response.text.strip()}"[:500]
        code = response.status_code
        if 200 <= code < 300:
            return SendResult(status=SmsStatus.ACCEPTED, reference=str(message.notification_id))
        if code == 503:
            return SendResult.retry(answer, throttle_seconds=self._retry_after(response))
        if 400 <= code < 500:
            if _AUTHORIZATION_FAILED.search(response.text):
                _log.error("kannel_login_refused", answer=answer)
                return SendResult.retry(answer, throttle_seconds=self._throttle_seconds)
            if _NUMBER_REFUSED.search(response.text):
                return SendResult(status=SmsStatus.FAILED_INVALID_RECIPIENT, error=answer)
            return SendResult(status=SmsStatus.FAILED, error=answer)
        return SendResult.retry(answer)

    def _retry_after(self, response: httpx.Response) -> float:
        value = response.headers.get("Retry-After", "")
        return float(value) if value.isdigit() and int(value) > 0 else self._throttle_seconds

    async def aclose(self) -> None:
        await self._http.aclose()
