"""Order rules that need the whole order or the clock (rules.validation)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from orderdesk.core.errors import InvalidInput
from orderdesk.core.outbound import AddressPolicy
from orderdesk.notifications.models import (
    EmailTemplate,
    NotificationChannel,
    OrderRequest,
    Recipient,
    SmsTemplate,
)
from orderdesk.notifications.rules.validation import (
    RECIPIENTS_REQUIRED,
    SEND_TIME_GRACE,
    SEND_TIME_IN_PAST,
    validate_order,
)

NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
EMAIL = EmailTemplate(from_address="noreply@example.com", subject="Hello", body="Body")
SMS = SmsTemplate(sender_number="Altinn", body="Body")
ORDER = OrderRequest(
    notification_channel=NotificationChannel.EMAIL,
    recipients=[Recipient(email_address="ola@example.com")],
    email_template=EMAIL,
)


def errors_of(order: OrderRequest, policy: AddressPolicy | None = None) -> dict[str, list[str]]:
    with pytest.raises(InvalidInput) as raised:
        validate_order(order, NOW, policy or AddressPolicy())
    return raised.value.errors


def test_validate_order__well_formed_order__accepted() -> None:
    validate_order(ORDER, NOW, AddressPolicy())


def test_validate_order__send_time_within_the_grace__accepted() -> None:
    validate_order(replace(ORDER, requested_send_time=NOW - SEND_TIME_GRACE), NOW, AddressPolicy())


def test_validate_order__send_time_past_the_grace__refused() -> None:
    order = replace(ORDER, requested_send_time=NOW - SEND_TIME_GRACE - timedelta(seconds=1))
    assert errors_of(order) == {"requestedSendTime": [SEND_TIME_IN_PAST]}


def test_validate_order__no_recipients__refused() -> None:
    assert errors_of(replace(ORDER, recipients=[])) == {"recipients": [RECIPIENTS_REQUIRED]}


def test_validate_order__recipient_without_identifier_for_the_channel__named_by_index() -> None:
    order = replace(
        ORDER,
        recipients=[Recipient(email_address="ola@example.com"), Recipient(mobile_number="+4799999999")],
    )
    assert list(errors_of(order)) == ["recipients[1]"]
    assert "for the channel Email" in errors_of(order)["recipients[1]"][0]


def test_validate_order__sms_channel__accepts_mobile_or_register_identifiers() -> None:
    order = OrderRequest(
        notification_channel=NotificationChannel.SMS,
        recipients=[
            Recipient(mobile_number="+4799999999"),
            Recipient(national_identity_number="01017012345"),
            Recipient(organization_number="123456789"),
        ],
        sms_template=SMS,
    )
    validate_order(order, NOW, AddressPolicy())


def test_validate_order__mixed_channel__any_identifier_will_do_but_one_is_needed() -> None:
    order = OrderRequest(
        notification_channel=NotificationChannel.EMAIL_PREFERRED,
        recipients=[Recipient(mobile_number="+4799999999"), Recipient(is_reserved=True)],
        email_template=EMAIL,
        sms_template=SMS,
    )
    assert list(errors_of(order)) == ["recipients[1]"]


@pytest.mark.parametrize(
    ("channel", "missing"),
    [
        (NotificationChannel.EMAIL, ["emailTemplate"]),
        (NotificationChannel.SMS, ["smsTemplate"]),
        (NotificationChannel.EMAIL_AND_SMS, ["emailTemplate", "smsTemplate"]),
        (NotificationChannel.SMS_PREFERRED, ["emailTemplate", "smsTemplate"]),
    ],
)
def test_validate_order__template_missing_for_the_channel__refused(
    channel: NotificationChannel, missing: list[str]
) -> None:
    order = OrderRequest(
        notification_channel=channel,
        recipients=[Recipient(national_identity_number="01017012345")],
    )
    assert sorted(errors_of(order)) == missing


def test_validate_order__resource_action_without_resource_id__refused() -> None:
    assert list(errors_of(replace(ORDER, resource_action="read"))) == ["resourceAction"]
    validate_order(replace(ORDER, resource_id="urn:x", resource_action="read"), NOW, AddressPolicy())


def test_validate_order__condition_endpoint_on_a_private_address__refused() -> None:
    order = replace(ORDER, condition_endpoint="http://127.0.0.1/condition")
    assert list(errors_of(order)) == ["conditionEndpoint"]


def test_validate_order__every_problem_named_at_once() -> None:
    order = OrderRequest(
        notification_channel=NotificationChannel.EMAIL,
        recipients=[],
        requested_send_time=NOW - timedelta(days=1),
        resource_action="read",
    )
    assert sorted(errors_of(order)) == ["emailTemplate", "recipients", "requestedSendTime", "resourceAction"]
