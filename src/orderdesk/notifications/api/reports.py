"""HTTP routes where providers report on deliveries: Kannel's signed dlr-url callback and a JSON
webhook for e-mail providers. Both answer 200 with what was applied and what was dead-lettered."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

import structlog
from fastapi import APIRouter, Depends, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from orderdesk.auth.errors import Forbidden, Unauthenticated
from orderdesk.auth.tokens import DELIVERY_REPORTS_WRITE_SCOPE
from orderdesk.core import jsonschema
from orderdesk.core.db import Database
from orderdesk.core.errors import InvalidInput
from orderdesk.notifications.api import mapping
from orderdesk.notifications.api.deps import NotificationSettingsDep, ReportSignerDep
from orderdesk.notifications.models import Channel, DeliveryReport, ReportsApplied
from orderdesk.notifications.rules.delivery_reports import DLR_MASK, REPORT_PATH
from orderdesk.notifications.schemas.fields import Text
from orderdesk.notifications.service import reports as service
from orderdesk.web.deps import DatabaseDep, NowDep, TokenVerifierDep
from orderdesk.web.log_context import OrderLoggedRoute
from orderdesk.web.problems import openapi_responses
from orderdesk.web.wire import field_path

_log = structlog.get_logger(__name__)

router = APIRouter(tags=["Delivery reports"], route_class=OrderLoggedRoute)

EMAIL_REPORTS_PATH = f"{mapping.API_PREFIX}/reports/email"
MAX_REPORTS_PER_REQUEST = 1000

_report_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="DeliveryReportsBearer",
    description=f"A JWT with the scope `{DELIVERY_REPORTS_WRITE_SCOPE}` and the audience "
    f"`orderdesk:deliveryreports` (`orderdesk token --org ORG --scope {DELIVERY_REPORTS_WRITE_SCOPE}`).",
)


class ReportsReceivedExt(BaseModel):
    """What became of the reports in one request."""

    model_config = ConfigDict(populate_by_name=True)

    applied: int = Field(description="Reports that changed (or confirmed) a notification's status.")
    dead_lettered: int = Field(
        alias="deadLettered",
        description="Reports that could not be applied and went to the dead-letter table instead: "
        "unknown notification, expired, already final, or a state that is not recognised.",
    )
    dead_letter_reasons: dict[str, int] = Field(
        alias="deadLetterReasons",
        description="Dead-lettered reports per reason, e.g. `NOTIFICATION_EXPIRED`.",
    )
    dead_letters_dropped: int = Field(
        alias="deadLettersDropped",
        description="Of the dead-lettered reports, those not stored because the dead-letter table "
        "holds its maximum number of rows (`ORDERDESK_DEAD_REPORT_MAX_ROWS`) already.",
    )


class EmailDeliveryReportExt(BaseModel):
    """One delivery report about one e-mail; other keys are kept with the report as they came."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    notification_id: UUID | None = Field(
        default=None, alias="notificationId", description="The notification's id (preferred)."
    )
    operation_id: Text | None = Field(
        default=None,
        alias="operationId",
        min_length=1,
        max_length=200,
        description="The provider's reference for the message, when the notification id is not known.",
    )
    status: Text = Field(
        min_length=1,
        max_length=100,
        description="Delivered, Bounced, Failed, Expanded, FilteredSpam, Quarantined or Suppressed "
        "(case does not matter). Any other state is dead-lettered as UNRECOGNIZED_SEND_RESULT.",
    )


def _verified_report_sender(
    verifier: TokenVerifierDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_report_bearer)],
) -> None:
    """401 without a valid token, 403 without the delivery-reports scope."""
    verifier.report_sender(bearer=bearer.credentials if bearer else None)


def _received(result: ReportsApplied) -> ReportsReceivedExt:
    return ReportsReceivedExt(
        applied=result.applied,
        dead_lettered=sum(result.dead.values()),
        dead_letter_reasons={reason.value: count for reason, count in result.dead.items()},
        dead_letters_dropped=result.dropped,
    )


async def _apply(
    max_rows: int, database: Database, now: datetime, channel: Channel, reports: Sequence[DeliveryReport]
) -> ReportsReceivedExt:
    async with database.transaction() as connection:
        result = await service.apply_reports(connection, channel, reports, now=now, max_dead_rows=max_rows)
    if result.dead:
        _log.info(
            "delivery_reports_dead_lettered",
            channel=channel.value,
            reasons={reason.value: count for reason, count in result.dead.items()},
        )
    if result.dropped:
        _log.warning(
            "dead_letter_table_full", channel=channel.value, dropped=result.dropped, max_rows=max_rows
        )
    return _received(result)


_RECEIVED = {"description": "Received: each report was applied or kept as a dead letter (see the counts)."}
_KANNEL_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: _RECEIVED,
    **openapi_responses(InvalidInput),
    **openapi_responses(Forbidden),
}
_KANNEL_RESPONSES[403] = {
    **_KANNEL_RESPONSES[403],
    "description": "The signature does not match the notification id; nothing was changed.",
}
_KANNEL_DESCRIPTION = f"""
Kannel calls this URL for each delivery report of an SMS sent by the Kannel provider: the provider
passes it as `dlr-url` with `dlr-mask={DLR_MASK}`, and Kannel fills in `type` (`%d`) and `answer` (`%A`).
`sig` is an HMAC of the id, so only URLs this service handed out are accepted (403 otherwise).

Types: 1 → `Delivered`; 2 → `Failed_Undelivered`, or by the SMSC answer's `stat:` EXPIRED →
`Failed_Expired`, DELETED → `Failed_Deleted`, REJECTD → `Failed_Rejected`, UNDELIV →
`Failed_Undelivered`, UNKNOWN → `Failed`; 16 → `Failed_Rejected`; 4 and 8 (buffered, accepted by the
SMSC) keep the SMS `Accepted` and store the report. A report that cannot be applied (unknown
notification, expired, already final, unknown type) is kept as a dead letter and still answered with
200, so that Kannel does not retry it; past `ORDERDESK_DEAD_REPORT_MAX_ROWS` dead letters it is only
counted (`deadLettersDropped`).
"""


async def report_kannel_delivery(
    database: DatabaseDep,
    now: NowDep,
    signer: ReportSignerDep,
    settings: NotificationSettingsDep,
    notification_id: Annotated[UUID, Query(alias="id", description="The SMS notification's id.")],
    signature: Annotated[
        str, Query(alias="sig", min_length=1, max_length=200, description="HMAC of the id.")
    ],
    dlr_type: Annotated[int, Query(alias="type", description="Kannel's report type (`%d`).")],
    answer: Annotated[
        str | None, Query(max_length=2000, description="The SMSC's answer (`%A`), if any.")
    ] = None,
) -> ReportsReceivedExt:
    if not signer.verify(notification_id, signature):
        raise Forbidden("The signature does not match the notification id.")
    report = service.kannel_report(notification_id, dlr_type, answer)
    return await _apply(settings.dead_report_max_rows, database, now, Channel.SMS, [report])


for _method in ("GET", "POST"):
    router.add_api_route(
        REPORT_PATH,
        report_kannel_delivery,
        methods=[_method],
        response_model=ReportsReceivedExt,
        responses=_KANNEL_RESPONSES,
        summary="Receive a delivery report from Kannel (dlr-url)",
        description=_KANNEL_DESCRIPTION,
        name=f"report_kannel_delivery_{_method.lower()}",
    )


_EMAIL_ITEM_SCHEMA = {
    **EmailDeliveryReportExt.model_json_schema(by_alias=True),
    **jsonschema.any_given("notificationId", "operationId"),
}
_EMAIL_BODY_SCHEMA = {
    "oneOf": [
        _EMAIL_ITEM_SCHEMA,
        {"type": "array", "items": _EMAIL_ITEM_SCHEMA, "minItems": 1, "maxItems": MAX_REPORTS_PER_REQUEST},
    ]
}


@router.post(
    EMAIL_REPORTS_PATH,
    response_model=ReportsReceivedExt,
    responses={200: _RECEIVED, **openapi_responses(InvalidInput, Unauthenticated, Forbidden)},
    summary="Receive delivery reports from an e-mail provider",
    description=f"""
A webhook for e-mail providers: one report or a list of up to {MAX_REPORTS_PER_REQUEST}, each naming
its notification by `notificationId` or by the provider's `operationId`. The states are those of
Azure Communication Services: Delivered → `Delivered`, Bounced → `Failed_Bounced`, Failed and Expanded
→ `Failed`, FilteredSpam → `Failed_FilteredSpam`, Quarantined → `Failed_Quarantined`, Suppressed →
`Failed_SupressedRecipient`.

Reports for unknown or expired notifications, for notifications that already have a final status,
and with unrecognised states are kept as dead letters (for `ORDERDESK_DEAD_REPORT_RETENTION_HOURS`; once
the table holds `ORDERDESK_DEAD_REPORT_MAX_ROWS` they are counted in `deadLettersDropped` and not
stored); the answer counts them. A body that is not
such a report is a 400 naming the field. Needs the scope `{DELIVERY_REPORTS_WRITE_SCOPE}`.
""",
    dependencies=[Depends(_verified_report_sender)],
    openapi_extra={
        "requestBody": {"required": True, "content": {"application/json": {"schema": _EMAIL_BODY_SCHEMA}}}
    },
)
async def report_email_deliveries(
    request: Request, database: DatabaseDep, now: NowDep, settings: NotificationSettingsDep
) -> ReportsReceivedExt:
    reports = _email_reports(await request.body())
    return await _apply(settings.dead_report_max_rows, database, now, Channel.EMAIL, reports)


class _NotStorableNumber(ValueError):
    """A number Python's json reads but PostgreSQL's json type refuses, so the raw report could not
    be kept."""


def _refuse_constant(name: str) -> Any:
    raise _NotStorableNumber(f"The request body contains {name}, which JSON does not allow.")


def _finite_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise _NotStorableNumber(f"The number {text} in the request body is too large.")
    return value


def _email_reports(body: bytes) -> list[DeliveryReport]:
    """Parse the webhook body; InvalidInput names each offending field (`[2].status`, `status`)."""
    try:
        document = json.loads(body, parse_constant=_refuse_constant, parse_float=_finite_float)
    except _NotStorableNumber as error:
        raise InvalidInput({"$": [str(error)]}) from error
    except (ValueError, RecursionError) as error:
        raise InvalidInput({"$": ["The request body is not valid JSON."]}) from error
    single = isinstance(document, dict)
    items: list[Any] = [document] if single else document if isinstance(document, list) else []
    if not items or len(items) > MAX_REPORTS_PER_REQUEST:
        raise InvalidInput(
            {"$": [f"Give one delivery report object or a list of 1 to {MAX_REPORTS_PER_REQUEST}."]}
        )
    errors: dict[str, list[str]] = {}
    reports: list[DeliveryReport] = []
    for index, item in enumerate(items):
        prefix = "" if single else f"[{index}]"
        try:
            parsed = EmailDeliveryReportExt.model_validate(item)
        except ValidationError as error:
            for problem in error.errors():
                errors.setdefault(field_path(problem["loc"], prefix), []).append(problem["msg"])
            continue
        if parsed.notification_id is None and parsed.operation_id is None:
            errors.setdefault(field_path(("notificationId",), prefix), []).append(
                "Give notificationId or operationId."
            )
            continue
        reports.append(
            service.email_report(
                parsed.status, item, notification_id=parsed.notification_id, reference=parsed.operation_id
            )
        )
    if errors:
        raise InvalidInput(errors)
    return reports
