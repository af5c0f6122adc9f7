"""FastAPI dependencies of the notification routes: order defaults, the Kannel report signer, the
providers of instant orders and the family's settings group, built once by `create_app` (see
orderdesk.web.deps)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Request

from orderdesk.notifications.providers.kannel import ReportSigner
from orderdesk.notifications.service.instant import InstantPolicy, InstantProviders
from orderdesk.notifications.service.orders import OrderDefaults
from orderdesk.settings import NotificationSettings
from orderdesk.web.deps import part_of


@dataclass(frozen=True, slots=True)
class NotificationParts:
    settings: NotificationSettings
    defaults: OrderDefaults
    report_signer: ReportSigner
    """Loaded (or created) once: creating the key on the first report raced between requests."""
    instant: InstantProviders
    instant_policy: InstantPolicy

    @classmethod
    def build(
        cls, settings: NotificationSettings, signer: ReportSigner, instant: InstantProviders
    ) -> NotificationParts:
        defaults = OrderDefaults(
            email_from_address=settings.default_email_from_address, sms_sender=settings.default_sms_sender
        )
        policy = InstantPolicy(
            send_timeout=timedelta(seconds=settings.instant_send_timeout_seconds),
            claim_margin=timedelta(seconds=settings.worker_lease_seconds),
        )
        return cls(
            settings=settings,
            defaults=defaults,
            report_signer=signer,
            instant=instant,
            instant_policy=policy,
        )


async def get_order_defaults(request: Request) -> OrderDefaults:
    return part_of(request, NotificationParts).defaults


async def get_report_signer(request: Request) -> ReportSigner:
    """The key the Kannel provider signs dlr-urls with."""
    return part_of(request, NotificationParts).report_signer


async def get_notification_settings(request: Request) -> NotificationSettings:
    return part_of(request, NotificationParts).settings


async def get_instant_providers(request: Request) -> InstantProviders:
    return part_of(request, NotificationParts).instant


async def get_instant_policy(request: Request) -> InstantPolicy:
    return part_of(request, NotificationParts).instant_policy


OrderDefaultsDep = Annotated[OrderDefaults, Depends(get_order_defaults)]
ReportSignerDep = Annotated[ReportSigner, Depends(get_report_signer)]
NotificationSettingsDep = Annotated[NotificationSettings, Depends(get_notification_settings)]
InstantProvidersDep = Annotated[InstantProviders, Depends(get_instant_providers)]
InstantPolicyDep = Annotated[InstantPolicy, Depends(get_instant_policy)]
