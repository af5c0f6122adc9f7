"""From an order chain on the wire to the chain the service registers, and from its receipt back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from orderdesk.notifications.models import (
    ChainOrder,
    ChainReceipt,
    ChainRequest,
    EmailTemplate,
    NotificationChannel,
    OrderRequest,
    OrderType,
    Recipient,
    SendingTimePolicy,
    SmsTemplate,
)
from orderdesk.notifications.schemas.future import (
    EmailSendingOptionsExt,
    NotificationOrderChainRequestExt,
    NotificationOrderChainResponseExt,
    NotificationOrderChainShipmentExt,
    NotificationRecipientExt,
    ReminderShipmentExt,
    SmsSendingOptionsExt,
    idporten_email,
)


def chain_request(body: NotificationOrderChainRequestExt) -> ChainRequest:
    association = body.dialogporten_association
    main = _chain_order(
        OrderType.NOTIFICATION,
        body.recipient,
        senders_reference=body.senders_reference,
        requested_send_time=body.requested_send_time,
        condition_endpoint=body.condition_endpoint,
    )
    reminders = [
        _chain_order(
            OrderType.REMINDER,
            reminder.recipient,
            senders_reference=reminder.senders_reference,
            requested_send_time=reminder.requested_send_time,
            condition_endpoint=reminder.condition_endpoint,
            delay_days=reminder.delay_days,
        )
        for reminder in body.reminders or []
    ]
    return ChainRequest(
        idempotency_id=body.idempotency_id,
        main=main,
        reminders=reminders,
        dialog_id=association.dialog_id if association else None,
        transmission_id=association.transmission_id if association else None,
    )


def chain_response(receipt: ChainReceipt) -> NotificationOrderChainResponseExt:
    """The receipt on the wire; `reminders` is null for a chain registered without any."""
    reminders = [
        ReminderShipmentExt(shipment_id=r.order_id, senders_reference=r.senders_reference)
        for r in receipt.reminders
    ]
    return NotificationOrderChainResponseExt(
        notification_order_id=receipt.chain_id,
        notification=NotificationOrderChainShipmentExt(
            shipment_id=receipt.main.order_id,
            senders_reference=receipt.main.senders_reference,
            reminders=reminders or None,
        ),
    )


@dataclass(frozen=True, slots=True)
class _Addressee:
    """What the recipient kind decides: the channel, who, and the settings given for each channel."""

    channel: NotificationChannel
    recipient: Recipient
    email_settings: EmailSendingOptionsExt | None = None
    sms_settings: SmsSendingOptionsExt | None = None
    ignore_reservation: bool | None = None
    resource_id: str | None = None
    resource_action: str | None = None
    unreachable: str | None = None


def _chain_order(
    order_type: OrderType,
    recipient: NotificationRecipientExt,
    *,
    senders_reference: str | None,
    requested_send_time: datetime | None,
    condition_endpoint: str | None,
    delay_days: int | None = None,
) -> ChainOrder:
    """One order of the chain; its SMS settings decide the sending time policy (e-mail goes out at
    any time)."""
    to = _addressee(recipient)
    request = OrderRequest(
        notification_channel=to.channel,
        recipients=[to.recipient],
        requested_send_time=requested_send_time,
        senders_reference=senders_reference,
        condition_endpoint=condition_endpoint,
        ignore_reservation=to.ignore_reservation,
        resource_id=to.resource_id,
        resource_action=to.resource_action,
        email_template=_email_template(to.email_settings) if to.email_settings else None,
        sms_template=_sms_template(to.sms_settings) if to.sms_settings else None,
    )
    policy = to.sms_settings.sending_time_policy if to.sms_settings is not None else SendingTimePolicy.ANYTIME
    return ChainOrder(
        order_type=order_type,
        request=request,
        sending_time_policy=policy,
        delay_days=delay_days,
        unreachable=to.unreachable,
    )


def _addressee(recipient: NotificationRecipientExt) -> _Addressee:
    if recipient.recipient_email is not None:
        return _Addressee(
            NotificationChannel.EMAIL,
            Recipient(email_address=recipient.recipient_email.email_address),
            email_settings=recipient.recipient_email.email_settings,
        )
    if recipient.recipient_sms is not None:
        return _Addressee(
            NotificationChannel.SMS,
            Recipient(mobile_number=recipient.recipient_sms.phone_number),
            sms_settings=recipient.recipient_sms.sms_settings,
        )
    if recipient.recipient_person is not None:
        person = recipient.recipient_person
        return _Addressee(
            person.channel(NotificationChannel.EMAIL_PREFERRED),
            Recipient(national_identity_number=person.national_identity_number),
            person.email_settings,
            person.sms_settings,
            ignore_reservation=person.ignore_reservation,
            resource_id=person.resource_id,
            resource_action=person.resource_action,
        )
    if recipient.recipient_organization is not None:
        organization = recipient.recipient_organization
        return _Addressee(
            organization.channel_schema,
            Recipient(organization_number=organization.org_number),
            organization.email_settings,
            organization.sms_settings,
            resource_id=organization.resource_id,
            resource_action=organization.resource_action,
        )
    external = recipient.recipient_external_identity
    assert external is not None, "the wire model holds exactly one recipient kind"
    channel = external.channel(NotificationChannel.EMAIL)
    address = idporten_email(external.external_identity)
    # orderdesk keeps no register of usernames, and an ID-porten e-mail identity has no number.
    reachable = address is not None and channel is not NotificationChannel.SMS
    return _Addressee(
        channel,
        Recipient(email_address=address),
        external.email_settings,
        external.sms_settings,
        resource_id=external.resource_id,
        resource_action=external.resource_action,
        unreachable=None if reachable else external.external_identity,
    )


def _email_template(settings: EmailSendingOptionsExt) -> EmailTemplate:
    return EmailTemplate(
        from_address=settings.sender_email_address or "",
        subject=settings.subject,
        body=settings.body,
        content_type=settings.content_type,
    )


def _sms_template(settings: SmsSendingOptionsExt) -> SmsTemplate:
    return SmsTemplate(sender_number=settings.sender or "", body=settings.body)
