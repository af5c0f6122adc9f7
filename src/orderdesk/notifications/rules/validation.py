"""Rules that need the whole order or the clock: send time, channel templates, recipient identifiers.

Field formats (digits, E.164, e-mail) are checked by the wire models; this module sees an order whose
fields are well formed and decides whether the combination makes sense.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from orderdesk.core.errors import InvalidInput
from orderdesk.core.outbound import AddressPolicy, refused_fields
from orderdesk.notifications.models import NotificationChannel, OrderRequest, Recipient

SEND_TIME_GRACE = timedelta(minutes=5)

SEND_TIME_IN_PAST = "Send time must be in the future. Leave blank to send immediately."
RECIPIENTS_REQUIRED = "One or more recipient is required."

_IDENTIFIERS_FOR_CHANNEL: dict[NotificationChannel, tuple[str, ...]] = {
    NotificationChannel.EMAIL: ("email_address", "organization_number", "national_identity_number"),
    NotificationChannel.SMS: ("mobile_number", "organization_number", "national_identity_number"),
}
_ANY_IDENTIFIER = (
    "email_address",
    "mobile_number",
    "organization_number",
    "national_identity_number",
)
_CHANNEL_MESSAGE: dict[NotificationChannel, str] = {
    NotificationChannel.EMAIL: (
        "Each recipient must have an email address, an organization number or a national identity "
        "number for the channel Email."
    ),
    NotificationChannel.SMS: (
        "Each recipient must have a mobile number, an organization number or a national identity "
        "number for the channel Sms."
    ),
}
_ANY_MESSAGE = (
    "Each recipient must have an email address, a mobile number, an organization number or a "
    "national identity number."
)


def validate_order(order: OrderRequest, now: datetime, outbound: AddressPolicy) -> None:
    """Raise InvalidInput naming every field whose value does not fit the rest of the order, or names
    an address the send condition check would refuse to call."""
    errors = refused_fields(outbound, [("conditionEndpoint", order.condition_endpoint)])

    if order.requested_send_time is not None and order.requested_send_time < now - SEND_TIME_GRACE:
        errors.setdefault("requestedSendTime", []).append(SEND_TIME_IN_PAST)

    if not order.recipients:
        errors.setdefault("recipients", []).append(RECIPIENTS_REQUIRED)
    for index, recipient in enumerate(order.recipients):
        message = _recipient_problem(order.notification_channel, recipient)
        if message:
            errors.setdefault(f"recipients[{index}]", []).append(message)

    channel = order.notification_channel
    if channel.needs_email_template and order.email_template is None:
        errors.setdefault("emailTemplate", []).append(
            f"An email template is required for the channel {channel}."
        )
    if channel.needs_sms_template and order.sms_template is None:
        errors.setdefault("smsTemplate", []).append(f"An SMS template is required for the channel {channel}.")

    if order.resource_action is not None and order.resource_id is None:
        errors.setdefault("resourceAction", []).append(
            "A resource action cannot be given without a resource id."
        )

    if errors:
        raise InvalidInput(errors)


def _recipient_problem(channel: NotificationChannel, recipient: Recipient) -> str | None:
    wanted = _IDENTIFIERS_FOR_CHANNEL.get(channel, _ANY_IDENTIFIER)
    if any(getattr(recipient, name) for name in wanted):
        return None
    return _CHANNEL_MESSAGE.get(channel, _ANY_MESSAGE)
