"""FastAPI dependencies of the notification routes: order defaults, the Kannel report signer and the
family's settings group, built once by `create_app` (see orderdesk.web.deps)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from orderdesk.notifications.providers.kannel import ReportSigner
from orderdesk.notifications.service.orders import OrderDefaults
from orderdesk.settings import NotificationSettings
from orderdesk.web.deps import part_of


@dataclass(frozen=True, slots=True)
class NotificationParts:
    settings: NotificationSettings
    defaults: OrderDefaults
    report_signer: ReportSigner
    """Loaded (or created) once: creating the key on the first report raced between requests."""

    @classmethod
    def build(cls, settings: NotificationSettings, signer: ReportSigner) -> NotificationParts:
        defaults = OrderDefaults(
            email_from_address=settings.default_email_from_address, sms_sender=settings.default_sms_sender
        )
        return cls(settings=settings, defaults=defaults, report_signer=signer)


async def get_order_defaults(request: Request) -> OrderDefaults:
    return part_of(request, NotificationParts).defaults


async def get_report_signer(request: Request) -> ReportSigner:
    """The key the Kannel provider signs dlr-urls with."""
    return part_of(request, NotificationParts).report_signer


async def get_notification_settings(request: Request) -> NotificationSettings:
    return part_of(request, NotificationParts).settings


OrderDefaultsDep = Annotated[OrderDefaults, Depends(get_order_defaults)]
ReportSignerDep = Annotated[ReportSigner, Depends(get_report_signer)]
NotificationSettingsDep = Annotated[NotificationSettings, Depends(get_notification_settings)]
