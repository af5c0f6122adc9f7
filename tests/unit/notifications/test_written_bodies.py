"""The bodies written straight with orjson (a status read's, an intake's 202) are the contract's
models to the byte: each read back through its model and written again by pydantic is the same
bytes, whichever optional fields are present and however the times fall."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import orjson
import pytest
from asyncpg.pgproto import pgproto

from orderdesk.notifications.api.mapping import order_with_status_json, registration_json
from orderdesk.notifications.models import (
    ChannelSummary,
    Creator,
    NotificationChannel,
    OrderId,
    OrderProcessingStatus,
    OrderState,
    RecipientLookup,
    RecipientLookupStatus,
)
from orderdesk.notifications.schemas.v1 import (
    NotificationOrderRequestResponseExt,
    NotificationOrderWithStatusExt,
)

BASE_URL = "https://orderdesk.example/"
MOMENT = datetime(2026, 12, 7, 9, 30, 15, 123456, tzinfo=UTC)
PLAIN = OrderState(
    id=OrderId(uuid.UUID("0b6a39c4-5d3b-4f8e-9e0e-6f1d2b1c7a10")),
    creator=Creator("ttd"),
    senders_reference=None,
    requested_send_time=MOMENT,
    created=MOMENT,
    notification_channel=NotificationChannel.EMAIL,
    ignore_reservation=None,
    resource_id=None,
    resource_action=None,
    condition_endpoint=None,
    processing_status=OrderProcessingStatus.REGISTERED,
    status_changed_at=MOMENT,
    email=ChannelSummary(generated=0, succeeded=0),
    sms=ChannelSummary(generated=0, succeeded=0),
)
CASES = {
    "nothing optional, nothing generated": PLAIN,
    "every optional field": replace(
        PLAIN,
        senders_reference='ref-æøå "quoted" \\ \u2028 /slash',
        ignore_reservation=False,
        resource_id="urn:altinn:resource:app_ttd_x",
        resource_action="read",
        condition_endpoint="https://condition.example/check?x=1&y=2",
    ),
    "e-mail generated, processed shown as Completed": replace(
        PLAIN,
        processing_status=OrderProcessingStatus.PROCESSED,
        email=ChannelSummary(generated=10, succeeded=7),
    ),
    "SMS only": replace(
        PLAIN,
        notification_channel=NotificationChannel.SMS,
        processing_status=OrderProcessingStatus.PROCESSING,
        sms=ChannelSummary(generated=3, succeeded=0),
    ),
    "both channels": replace(
        PLAIN,
        notification_channel=NotificationChannel.EMAIL_PREFERRED,
        email=ChannelSummary(generated=2, succeeded=2),
        sms=ChannelSummary(generated=1, succeeded=1),
    ),
    "times without fractions of a second": replace(
        PLAIN,
        requested_send_time=MOMENT.replace(microsecond=0),
        created=MOMENT.replace(microsecond=0),
        status_changed_at=MOMENT.replace(microsecond=0),
    ),
    "the id as asyncpg reads it (its own UUID type)": replace(
        PLAIN,
        id=OrderId(pgproto.UUID("0b6a39c4-5d3b-4f8e-9e0e-6f1d2b1c7a10")),
    ),
    "times in another offset": replace(
        PLAIN,
        requested_send_time=MOMENT.astimezone(timezone(timedelta(hours=1))),
        created=MOMENT.astimezone(timezone(timedelta(hours=-3, minutes=-30))),
    ),
}


@pytest.mark.parametrize("order", CASES.values(), ids=CASES.keys())
def test_status_body__the_contract_model_to_the_byte(order: OrderState) -> None:
    written = order_with_status_json(order, BASE_URL)

    model = NotificationOrderWithStatusExt.model_validate_json(written)

    assert model.model_dump_json(by_alias=True, exclude_none=True).encode() == written


def test_status_body__links_and_v1_status_names() -> None:
    body = orjson.loads(order_with_status_json(CASES["both channels"], BASE_URL))

    order_url = f"https://orderdesk.example/notifications/api/v1/orders/{PLAIN.id}"
    assert body["notificationsStatusSummary"] == {
        "email": {"links": {"self": f"{order_url}/notifications/email"}, "generated": 2, "succeeded": 2},
        "sms": {"links": {"self": f"{order_url}/notifications/sms"}, "generated": 1, "succeeded": 1},
    }
    processed = orjson.loads(
        order_with_status_json(CASES["e-mail generated, processed shown as Completed"], BASE_URL)
    )
    assert processed["processingStatus"]["status"] == "Completed"
    assert processed["processingStatus"]["lastUpdate"] == "2026-12-07T09:30:15.123456Z"
    assert "sendersReference" not in processed


LOOKUPS = {
    "no look-up": None,
    "all found": RecipientLookup(RecipientLookupStatus.SUCCESS),
    "some reserved, some missing": RecipientLookup(
        RecipientLookupStatus.PARTIAL_SUCCESS, is_reserved=["07837399275"], missing_contact=["910011223"]
    ),
}


@pytest.mark.parametrize("lookup", LOOKUPS.values(), ids=LOOKUPS.keys())
def test_registration_body__the_contract_model_to_the_byte(lookup: RecipientLookup | None) -> None:
    written = registration_json(pgproto.UUID(str(PLAIN.id)), lookup)

    model = NotificationOrderRequestResponseExt.model_validate_json(written)

    assert model.model_dump_json(by_alias=True, exclude_none=True).encode() == written
    assert orjson.loads(written)["orderId"] == str(PLAIN.id)
