"""Translation between the wire models and the domain values, both ways."""

from __future__ import annotations

import orjson

from orderdesk.notifications.models import (
    EMAIL_STATUS_DESCRIPTIONS,
    ORDER_STATUS_DESCRIPTIONS,
    SMS_STATUS_DESCRIPTIONS,
    EmailStatus,
    EmailTemplate,
    NotificationChannel,
    NotificationSummary,
    Order,
    OrderRequest,
    OrderState,
    Recipient,
    RecipientLookup,
    SmsStatus,
    SmsTemplate,
)
from orderdesk.notifications.schemas.v1 import (
    EmailNotificationOrderRequestExt,
    EmailNotificationSummaryExt,
    EmailNotificationWithResultExt,
    EmailRecipientExt,
    EmailTemplateResponseExt,
    NotificationOrderExt,
    NotificationOrderRequestExt,
    OrderRequestBase,
    OrderResourceLinksExt,
    RecipientExt,
    SendStatusExt,
    SmsNotificationOrderRequestExt,
    SmsNotificationSummaryExt,
    SmsNotificationWithResultExt,
    SmsRecipientExt,
    SmsTemplateResponseExt,
)

API_PREFIX = "/notifications/api/v1"


def _recipients(body: OrderRequestBase) -> list[Recipient]:
    return [
        Recipient(
            email_address=r.email_address,
            mobile_number=r.mobile_number,
            organization_number=r.organization_number,
            national_identity_number=r.national_identity_number,
        )
        for r in body.recipients
    ]


def _common(body: OrderRequestBase) -> dict[str, object]:
    return {
        "recipients": _recipients(body),
        "requested_send_time": body.requested_send_time,
        "senders_reference": body.senders_reference,
        "condition_endpoint": body.condition_endpoint,
        "ignore_reservation": body.ignore_reservation,
        "resource_id": body.resource_id,
        "resource_action": body.resource_action,
    }


def order_request(body: NotificationOrderRequestExt) -> OrderRequest:
    email = body.email_template
    sms = body.sms_template
    return OrderRequest(
        notification_channel=body.notification_channel,
        email_template=EmailTemplate(
            from_address=email.from_address or "",
            subject=email.subject,
            body=email.body,
            content_type=email.content_type,
        )
        if email
        else None,
        sms_template=SmsTemplate(sender_number=sms.sender_number or "", body=sms.body) if sms else None,
        **_common(body),  # type: ignore[arg-type]
    )


def email_order_request(body: EmailNotificationOrderRequestExt) -> OrderRequest:
    return OrderRequest(
        notification_channel=NotificationChannel.EMAIL,
        email_template=EmailTemplate(
            from_address="", subject=body.subject, body=body.body, content_type=body.content_type
        ),
        **_common(body),  # type: ignore[arg-type]
    )


def sms_order_request(body: SmsNotificationOrderRequestExt) -> OrderRequest:
    return OrderRequest(
        notification_channel=NotificationChannel.SMS,
        sms_template=SmsTemplate(sender_number=body.sender_number or "", body=body.body),
        **_common(body),  # type: ignore[arg-type]
    )


def registration_json(order_id: object, lookup: RecipientLookup | None) -> bytes:
    """The body of `NotificationOrderRequestResponseExt` (202 to an order intake), written straight
    with orjson as `order_with_status_json`, the same bytes as the model's dump (a unit test)."""
    body: dict[str, object] = {"orderId": str(order_id)}
    if lookup is not None:
        body["recipientLookup"] = {
            "status": lookup.status.value,
            "isReserved": lookup.is_reserved,
            "missingContact": lookup.missing_contact,
        }
    return orjson.dumps(body)


def order_url(base_url: str, order_id: object) -> str:
    return f"{base_url.rstrip('/')}{API_PREFIX}/orders/{order_id}"


def _base_fields(order: Order | OrderState) -> dict[str, object]:
    return {
        "id": order.id,
        "creator": order.creator,
        "senders_reference": order.senders_reference,
        "requested_send_time": order.requested_send_time,
        "created": order.created,
        "notification_channel": order.notification_channel,
        "ignore_reservation": order.ignore_reservation,
        "resource_id": order.resource_id,
        "resource_action": order.resource_action,
        "condition_endpoint": order.condition_endpoint,
    }


def order_ext(order: Order, base_url: str) -> NotificationOrderExt:
    url = order_url(base_url, order.id)
    email = order.email_template
    sms = order.sms_template
    return NotificationOrderExt(
        recipients=[
            RecipientExt.model_construct(
                email_address=r.email_address,
                mobile_number=r.mobile_number,
                organization_number=r.organization_number,
                national_identity_number=r.national_identity_number,
                is_reserved=r.is_reserved,
            )
            for r in order.recipients
        ],
        email_template=EmailTemplateResponseExt(
            from_address=email.from_address,
            subject=email.subject,
            body=email.body,
            content_type=email.content_type,
        )
        if email
        else None,
        sms_template=SmsTemplateResponseExt(sender_number=sms.sender_number, body=sms.body) if sms else None,
        links=OrderResourceLinksExt(self_=url, status=f"{url}/status"),
        **_base_fields(order),
    )


def order_with_status_json(order: Order | OrderState, base_url: str) -> bytes:
    """The body of `NotificationOrderWithStatusExt` (a status read, a cancellation), written straight
    from the order: building the pydantic models and serialising them was a tenth of a status
    read's CPU time, for a body of fixed shape. The same bytes as the model's
    `model_dump_json(by_alias=True, exclude_none=True)` (tests/unit/notifications hold them to it):
    its fields in its order, absent when None, times in UTC with `Z`."""
    url = order_url(base_url, order.id)
    # str(): read by asyncpg, the id is asyncpg's own UUID type, which orjson does not know.
    body: dict[str, object] = {"id": str(order.id), "creator": order.creator}
    if order.senders_reference is not None:
        body["sendersReference"] = order.senders_reference
    body["requestedSendTime"] = order.requested_send_time
    body["created"] = order.created
    body["notificationChannel"] = order.notification_channel.value
    for name, value in (
        ("ignoreReservation", order.ignore_reservation),
        ("resourceId", order.resource_id),
        ("resourceAction", order.resource_action),
        ("conditionEndpoint", order.condition_endpoint),
    ):
        if value is not None:
            body[name] = value
    body["processingStatus"] = {
        "status": order.processing_status.v1.value,
        "description": ORDER_STATUS_DESCRIPTIONS[order.processing_status],
        "lastUpdate": order.status_changed_at,
    }
    summary = {
        channel: {
            "links": {"self": f"{url}/notifications/{channel}"},
            "generated": counts.generated,
            "succeeded": counts.succeeded,
        }
        for channel, counts in (("email", order.email), ("sms", order.sms))
        if counts.generated
    }
    if summary:
        body["notificationsStatusSummary"] = summary
    return orjson.dumps(body, option=orjson.OPT_UTC_Z)


def email_summary_ext(summary: NotificationSummary) -> EmailNotificationSummaryExt:
    return EmailNotificationSummaryExt(
        order_id=summary.order_id,
        senders_reference=summary.senders_reference,
        generated=summary.generated,
        succeeded=summary.succeeded,
        notifications=[
            EmailNotificationWithResultExt(
                id=n.id,
                succeeded=n.succeeded,
                recipient=EmailRecipientExt(
                    email_address=n.recipient.email_address,
                    organization_number=n.recipient.organization_number,
                    national_identity_number=n.recipient.national_identity_number,
                ),
                send_status=SendStatusExt(
                    status=n.status,
                    description=EMAIL_STATUS_DESCRIPTIONS[EmailStatus(n.status)],
                    last_update=n.status_changed_at,
                ),
            )
            for n in summary.notifications
        ],
    )


def sms_summary_ext(summary: NotificationSummary) -> SmsNotificationSummaryExt:
    return SmsNotificationSummaryExt(
        order_id=summary.order_id,
        senders_reference=summary.senders_reference,
        generated=summary.generated,
        succeeded=summary.succeeded,
        notifications=[
            SmsNotificationWithResultExt(
                id=n.id,
                succeeded=n.succeeded,
                recipient=SmsRecipientExt(
                    mobile_number=n.recipient.mobile_number,
                    organization_number=n.recipient.organization_number,
                    national_identity_number=n.recipient.national_identity_number,
                ),
                send_status=SendStatusExt(
                    status=n.status,
                    description=SMS_STATUS_DESCRIPTIONS[SmsStatus(n.status)],
                    last_update=n.status_changed_at,
                ),
            )
            for n in summary.notifications
        ],
    )
