"""Turning a due order into notifications: one per recipient address and channel.

Pure: the caller looks the recipients up in the contact register and stores the result. The rules
follow the original service: persons are looked up by national identity number (reserved persons are
not contacted unless the order ignores reservation), organisations by their notification addresses
(all of them), direct addresses are used as given; the channel decides which addresses count, and
each address gets one notification per order and channel.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from uuid import UUID

from orderdesk.contacts.models import Organization, Person
from orderdesk.notifications.models import (
    Channel,
    EmailStatus,
    NotificationChannel,
    NotificationStatus,
    Order,
    Recipient,
    SendingTimePolicy,
    SmsStatus,
)
from orderdesk.notifications.rules.sending_window import SendingWindow

RECIPIENT_NAME = "$recipientName$"
RECIPIENT_NUMBER = "$recipientNumber$"


@dataclass(frozen=True, slots=True)
class NewNotification:
    id: UUID
    channel: Channel
    status: NotificationStatus
    address: str | None
    organization_number: str | None
    national_identity_number: str | None
    expires_at: datetime
    customized_subject: str | None = None
    customized_body: str | None = None


@dataclass(frozen=True, slots=True)
class ExpansionRules:
    time_to_live: timedelta = timedelta(hours=48)
    sms_window: SendingWindow = field(default_factory=SendingWindow)


@dataclass(frozen=True, slots=True)
class _Addresses:
    """What one recipient can be reached at, and who it is (for keywords)."""

    emails: list[str]
    mobiles: list[str]
    organization_number: str | None = None
    national_identity_number: str | None = None
    name: str | None = None
    reserved: bool = False
    identified: bool = True


def expand_order(
    order: Order,
    persons: dict[str, Person],
    organizations: dict[str, Organization],
    *,
    now: datetime,
    rules: ExpansionRules,
) -> list[NewNotification]:
    """Every notification the order gives rise to, duplicates of an address on a channel removed."""
    builder = _Builder(order, now, rules)
    for recipient in order.recipients:
        builder.add(_addresses(recipient, persons, organizations))
    return builder.notifications


def _addresses(
    recipient: Recipient, persons: dict[str, Person], organizations: dict[str, Organization]
) -> _Addresses:
    nin = recipient.national_identity_number
    if nin:
        person = persons.get(nin)
        if person is None:
            return _Addresses([], [], national_identity_number=nin, identified=False)
        return _Addresses(
            [person.email] if person.email else [],
            [person.mobile_number] if person.mobile_number else [],
            national_identity_number=nin,
            name=person.name,
            reserved=person.reserved,
        )
    org_number = recipient.organization_number
    if org_number:
        organization = organizations.get(org_number)
        if organization is None:
            return _Addresses([], [], organization_number=org_number, identified=False)
        return _Addresses(
            list(organization.emails),
            list(organization.mobile_numbers),
            organization_number=org_number,
            name=organization.name,
        )
    return _Addresses(
        [recipient.email_address] if recipient.email_address else [],
        [recipient.mobile_number] if recipient.mobile_number else [],
    )


class _Builder:
    def __init__(self, order: Order, now: datetime, rules: ExpansionRules) -> None:
        self.order = order
        self.now = now
        self.notifications: list[NewNotification] = []
        self._seen: dict[Channel, set[str]] = {Channel.EMAIL: set(), Channel.SMS: set()}
        self._expiry = {
            Channel.EMAIL: now + rules.time_to_live,
            Channel.SMS: (
                rules.sms_window.expiry(now, rules.time_to_live)
                if order.sending_time_policy is SendingTimePolicy.DAYTIME
                else now + rules.time_to_live
            ),
        }

    def add(self, who: _Addresses) -> None:
        channel = self.order.notification_channel
        if channel is NotificationChannel.EMAIL:
            self._on(Channel.EMAIL, who, who.emails)
        elif channel is NotificationChannel.SMS:
            self._on(Channel.SMS, who, who.mobiles)
        elif channel is NotificationChannel.EMAIL_AND_SMS:
            self._on(Channel.EMAIL, who, who.emails)
            self._on(Channel.SMS, who, who.mobiles)
        elif channel is NotificationChannel.EMAIL_PREFERRED:
            self._preferred(who, Channel.EMAIL, who.emails, Channel.SMS, who.mobiles)
        else:
            self._preferred(who, Channel.SMS, who.mobiles, Channel.EMAIL, who.emails)

    def _preferred(
        self,
        who: _Addresses,
        preferred: Channel,
        preferred_addresses: list[str],
        fallback: Channel,
        fallback_addresses: list[str],
    ) -> None:
        if who.reserved and not self.order.ignore_reservation:
            self._failed(preferred, who, reserved=True)
        elif preferred_addresses:
            self._on(preferred, who, preferred_addresses)
        elif fallback_addresses:
            self._on(fallback, who, fallback_addresses)
        else:
            self._failed(preferred, who, reserved=False)

    def _on(self, channel: Channel, who: _Addresses, addresses: list[str]) -> None:
        if who.reserved and not self.order.ignore_reservation:
            self._failed(channel, who, reserved=True)
            return
        if not addresses:
            self._failed(channel, who, reserved=False)
            return
        for address in addresses:
            key = address.casefold() if channel is Channel.EMAIL else address
            if key in self._seen[channel]:
                continue
            self._seen[channel].add(key)
            self._append(channel, who, _new(channel), address)

    def _failed(self, channel: Channel, who: _Addresses, *, reserved: bool) -> None:
        if channel is Channel.EMAIL:
            status: NotificationStatus = (
                EmailStatus.FAILED_RECIPIENT_RESERVED
                if reserved
                else EmailStatus.FAILED_RECIPIENT_NOT_IDENTIFIED
            )
        else:
            status = (
                SmsStatus.FAILED_RECIPIENT_RESERVED if reserved else SmsStatus.FAILED_RECIPIENT_NOT_IDENTIFIED
            )
        self._append(channel, who, status, None)

    def _append(
        self, channel: Channel, who: _Addresses, status: NotificationStatus, address: str | None
    ) -> None:
        subject, body = self._customized(channel, who)
        self.notifications.append(
            NewNotification(
                id=uuid.uuid4(),
                channel=channel,
                status=status,
                address=address,
                organization_number=who.organization_number,
                national_identity_number=who.national_identity_number,
                expires_at=self._expiry[channel],
                customized_subject=subject,
                customized_body=body,
            )
        )

    def _customized(self, channel: Channel, who: _Addresses) -> tuple[str | None, str | None]:
        """Texts with keywords replaced, kept only when they differ from the template.

        Keywords are only replaced for recipients known from the register; a direct address has no
        name or number to put in, so the placeholder stays.
        """
        if who.national_identity_number is None and who.organization_number is None:
            return None, None
        if channel is Channel.EMAIL and self.order.email_template is not None:
            template = self.order.email_template
            return _replaced(template.subject, who), _replaced(template.body, who)
        if channel is Channel.SMS and self.order.sms_template is not None:
            return None, _replaced(self.order.sms_template.body, who)
        return None, None


def _replaced(text: str, who: _Addresses) -> str | None:
    if RECIPIENT_NAME not in text and RECIPIENT_NUMBER not in text:
        return None
    # A person's number is not written into messages; an organisation's number is public.
    number = who.organization_number or ""
    return text.replace(RECIPIENT_NAME, who.name or "").replace(RECIPIENT_NUMBER, number)


def _new(channel: Channel) -> NotificationStatus:
    return channel.new
