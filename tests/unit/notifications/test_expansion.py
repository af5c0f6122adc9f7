"""Turning an order into notifications (rules.expansion): one per address and channel, the register's
answers deciding who is reached where, reserved and unknown recipients failed at birth."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from orderdesk.contacts.models import Organization, Person
from orderdesk.notifications.models import (
    Channel,
    ChannelSummary,
    Creator,
    EmailStatus,
    EmailTemplate,
    NotificationChannel,
    Order,
    OrderId,
    OrderProcessingStatus,
    Recipient,
    SendingTimePolicy,
    SmsStatus,
    SmsTemplate,
)
from orderdesk.notifications.rules.expansion import ExpansionRules, NewNotification, expand_order
from orderdesk.notifications.rules.sending_window import SendingWindow

NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)  # 13:00 in Oslo: the SMS window is open
RULES = ExpansionRules(time_to_live=timedelta(hours=48), sms_window=SendingWindow())
NIN = "01017012345"
ORG = "123456789"
OLA = Person(NIN, name="Ola Nordmann", email="ola@example.com", mobile_number="+4799999999")
ACME = Organization(
    ORG, name="Acme AS", emails=["post@acme.no", "it@acme.no"], mobile_numbers=["+4740000000"]
)


def order(
    channel: NotificationChannel,
    *recipients: Recipient,
    ignore_reservation: bool | None = None,
    sending_time_policy: SendingTimePolicy = SendingTimePolicy.DAYTIME,
) -> Order:
    return Order(
        id=OrderId(uuid.uuid4()),
        creator=Creator("ttd"),
        senders_reference=None,
        requested_send_time=NOW,
        created=NOW,
        notification_channel=channel,
        sending_time_policy=sending_time_policy,
        ignore_reservation=ignore_reservation,
        resource_id=None,
        resource_action=None,
        condition_endpoint=None,
        recipients=list(recipients),
        email_template=EmailTemplate("noreply@example.com", "Hello", "Dear $recipientName$"),
        sms_template=SmsTemplate("Altinn", "Hi $recipientName$ ($recipientNumber$)"),
        processing_status=OrderProcessingStatus.PROCESSING,
        status_changed_at=NOW,
        email=ChannelSummary(0, 0),
        sms=ChannelSummary(0, 0),
    )


def expand(
    the_order: Order,
    persons: dict[str, Person] | None = None,
    organizations: dict[str, Organization] | None = None,
    *,
    now: datetime = NOW,
) -> list[NewNotification]:
    return expand_order(the_order, persons or {}, organizations or {}, now=now, rules=RULES)


def summary(notifications: list[NewNotification]) -> list[tuple[Channel, str | None, str]]:
    return [(n.channel, n.address, n.status.value) for n in notifications]


def test_expand__direct_addresses__one_new_notification_each_without_customized_texts() -> None:
    notifications = expand(order(NotificationChannel.EMAIL, Recipient(email_address="kari@example.com")))
    assert summary(notifications) == [(Channel.EMAIL, "kari@example.com", "New")]
    assert notifications[0].customized_subject is None
    assert notifications[0].customized_body is None  # no name to put in: the placeholder stays


def test_expand__the_same_address_twice__one_notification_case_insensitively_for_email() -> None:
    notifications = expand(
        order(
            NotificationChannel.EMAIL,
            Recipient(email_address="Kari@Example.com"),
            Recipient(email_address="kari@example.com"),
        )
    )
    assert len(notifications) == 1


def test_expand__person__reached_at_the_registers_address_with_keywords_replaced() -> None:
    [notification] = expand(
        order(NotificationChannel.EMAIL, Recipient(national_identity_number=NIN)), {NIN: OLA}
    )
    assert (notification.address, notification.national_identity_number) == ("ola@example.com", NIN)
    assert notification.customized_body == "Dear Ola Nordmann"
    assert notification.customized_subject is None  # the subject has no keyword: the template's


def test_expand__person_number__never_written_into_the_text() -> None:
    [notification] = expand(
        order(NotificationChannel.SMS, Recipient(national_identity_number=NIN)), {NIN: OLA}
    )
    assert notification.customized_body == "Hi Ola Nordmann ()"


def test_expand__organisation__every_address_and_its_public_number() -> None:
    notifications = expand(
        order(NotificationChannel.EMAIL_AND_SMS, Recipient(organization_number=ORG)),
        organizations={ORG: ACME},
    )
    assert summary(notifications) == [
        (Channel.EMAIL, "post@acme.no", "New"),
        (Channel.EMAIL, "it@acme.no", "New"),
        (Channel.SMS, "+4740000000", "New"),
    ]
    assert notifications[2].customized_body == f"Hi Acme AS ({ORG})"


def test_expand__unknown_person__failed_as_not_identified() -> None:
    notifications = expand(order(NotificationChannel.SMS, Recipient(national_identity_number=NIN)))
    assert summary(notifications) == [(Channel.SMS, None, SmsStatus.FAILED_RECIPIENT_NOT_IDENTIFIED.value)]
    assert notifications[0].status.is_final


def test_expand__reserved_person__failed_as_reserved_unless_the_order_ignores_reservation() -> None:
    reserved = {NIN: replace(OLA, reserved=True)}
    recipient = Recipient(national_identity_number=NIN)
    assert summary(expand(order(NotificationChannel.EMAIL, recipient), reserved)) == [
        (Channel.EMAIL, None, EmailStatus.FAILED_RECIPIENT_RESERVED.value)
    ]
    ignoring = order(NotificationChannel.EMAIL, recipient, ignore_reservation=True)
    assert summary(expand(ignoring, reserved)) == [(Channel.EMAIL, "ola@example.com", "New")]


def test_expand__email_preferred__falls_back_to_sms_without_an_email_address() -> None:
    no_email = {NIN: replace(OLA, email=None)}
    notifications = expand(
        order(NotificationChannel.EMAIL_PREFERRED, Recipient(national_identity_number=NIN)), no_email
    )
    assert summary(notifications) == [(Channel.SMS, "+4799999999", "New")]


def test_expand__sms_preferred__sms_when_there_is_a_number() -> None:
    notifications = expand(
        order(NotificationChannel.SMS_PREFERRED, Recipient(national_identity_number=NIN)), {NIN: OLA}
    )
    assert summary(notifications) == [(Channel.SMS, "+4799999999", "New")]


def test_expand__preferred_channel_without_any_address__failed_on_the_preferred_channel() -> None:
    nowhere = {NIN: Person(NIN, name="Nobody")}
    notifications = expand(
        order(NotificationChannel.SMS_PREFERRED, Recipient(national_identity_number=NIN)), nowhere
    )
    assert summary(notifications) == [(Channel.SMS, None, SmsStatus.FAILED_RECIPIENT_NOT_IDENTIFIED.value)]


def test_expand__expiry__email_from_now_sms_from_the_next_window_opening() -> None:
    evening = datetime(2026, 1, 15, 18, 0, tzinfo=UTC)  # 19:00 in Oslo: the window is closed
    notifications = expand(
        order(
            NotificationChannel.EMAIL_AND_SMS,
            Recipient(email_address="ola@example.com", mobile_number="+4799999999"),
        ),
        now=evening,
    )
    expiry = {n.channel: n.expires_at for n in notifications}
    assert expiry[Channel.EMAIL] == evening + timedelta(hours=48)
    assert expiry[Channel.SMS] == datetime(2026, 1, 16, 8, 0, tzinfo=UTC) + timedelta(hours=48)


def test_expand__anytime_policy__sms_expiry_from_now() -> None:
    evening = datetime(2026, 1, 15, 18, 0, tzinfo=UTC)
    anytime = order(
        NotificationChannel.SMS,
        Recipient(mobile_number="+4799999999"),
        sending_time_policy=SendingTimePolicy.ANYTIME,
    )
    [notification] = expand(anytime, now=evening)
    assert notification.expires_at == evening + timedelta(hours=48)
