"""What the contact register says about an order's recipients when it is registered: who is reserved
against digital communication, who cannot be reached on the order's channel."""

from __future__ import annotations

from dataclasses import replace

from orderdesk.contacts.models import Organization, Person
from orderdesk.notifications.models import (
    NotificationChannel,
    OrderRequest,
    Recipient,
    RecipientLookup,
    RecipientLookupStatus,
)


def look_up_recipients(
    request: OrderRequest, persons: dict[str, Person], organizations: dict[str, Organization]
) -> tuple[list[Recipient], RecipientLookup]:
    """The recipients (persons marked reserved or not, as the register says) and the lookup's
    verdict, from the register's answers for the order's national identity and organisation numbers."""
    nins = [r.national_identity_number for r in request.recipients if r.national_identity_number]
    org_numbers = [r.organization_number for r in request.recipients if r.organization_number]
    channel = request.notification_channel
    reserved: list[str] = []
    missing: list[str] = []
    recipients: list[Recipient] = []
    for recipient in request.recipients:
        nin = recipient.national_identity_number
        org_number = recipient.organization_number
        if nin:
            person = persons.get(nin)
            if person is not None and person.reserved and not request.ignore_reservation:
                reserved.append(nin)
            elif not _person_reachable(person, channel):
                missing.append(nin)
            is_reserved = person.reserved if person is not None else None
            recipients.append(replace(recipient, is_reserved=is_reserved))
            continue
        if org_number and not _organization_reachable(organizations.get(org_number), channel):
            missing.append(org_number)
        recipients.append(recipient)

    looked_up = len(nins) + len(org_numbers)
    unreachable = len(reserved) + len(missing)
    if unreachable == 0:
        status = RecipientLookupStatus.SUCCESS
    elif unreachable >= looked_up:
        status = RecipientLookupStatus.FAILED
    else:
        status = RecipientLookupStatus.PARTIAL_SUCCESS
    return recipients, RecipientLookup(status=status, is_reserved=reserved, missing_contact=missing)


def _person_reachable(person: Person | None, channel: NotificationChannel) -> bool:
    if person is None:
        return False
    return _reachable(bool(person.email), bool(person.mobile_number), channel)


def _organization_reachable(organization: Organization | None, channel: NotificationChannel) -> bool:
    if organization is None:
        return False
    return _reachable(bool(organization.emails), bool(organization.mobile_numbers), channel)


def _reachable(has_email: bool, has_mobile: bool, channel: NotificationChannel) -> bool:
    if channel is NotificationChannel.EMAIL:
        return has_email
    if channel is NotificationChannel.SMS:
        return has_mobile
    return has_email or has_mobile
