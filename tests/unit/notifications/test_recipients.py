"""The contact register's verdict on an order's recipients at registration (rules.recipients)."""

from __future__ import annotations

from orderdesk.contacts.models import Organization, Person
from orderdesk.notifications.models import (
    EmailTemplate,
    NotificationChannel,
    OrderRequest,
    Recipient,
    RecipientLookupStatus,
)
from orderdesk.notifications.rules.recipients import look_up_recipients

OLA = Person("01017012345", email="ola@example.com")
KARI = Person("02027012345", mobile_number="+4799999999")
RESERVED = Person("03037012345", email="per@example.com", reserved=True)
ACME = Organization("123456789", emails=["post@acme.no"])


def request(
    channel: NotificationChannel, *recipients: Recipient, ignore_reservation: bool | None = None
) -> OrderRequest:
    return OrderRequest(
        notification_channel=channel,
        recipients=list(recipients),
        ignore_reservation=ignore_reservation,
        email_template=EmailTemplate("noreply@example.com", "Hi", "Body"),
    )


def by_nin(*persons: Person) -> dict[str, Person]:
    return {person.national_identity_number: person for person in persons}


def test_look_up__everyone_reachable__success_with_persons_marked_not_reserved() -> None:
    order = request(
        NotificationChannel.EMAIL,
        Recipient(national_identity_number=OLA.national_identity_number),
        Recipient(organization_number=ACME.organization_number),
        Recipient(email_address="direct@example.com"),
    )
    recipients, lookup = look_up_recipients(order, by_nin(OLA), {ACME.organization_number: ACME})
    assert lookup.status is RecipientLookupStatus.SUCCESS
    assert (lookup.is_reserved, lookup.missing_contact) == ([], [])
    assert [r.is_reserved for r in recipients] == [False, None, None]


def test_look_up__person_without_an_address_on_the_channel__missing_contact() -> None:
    order = request(
        NotificationChannel.EMAIL,
        Recipient(national_identity_number=OLA.national_identity_number),
        Recipient(national_identity_number=KARI.national_identity_number),
    )
    _recipients, lookup = look_up_recipients(order, by_nin(OLA, KARI), {})
    assert lookup.status is RecipientLookupStatus.PARTIAL_SUCCESS
    assert lookup.missing_contact == [KARI.national_identity_number]


def test_look_up__either_address_will_do_on_a_mixed_channel() -> None:
    order = request(
        NotificationChannel.EMAIL_PREFERRED, Recipient(national_identity_number=KARI.national_identity_number)
    )
    _recipients, lookup = look_up_recipients(order, by_nin(KARI), {})
    assert lookup.status is RecipientLookupStatus.SUCCESS


def test_look_up__reserved_person__reported_and_marked_unless_reservation_is_ignored() -> None:
    recipient = Recipient(national_identity_number=RESERVED.national_identity_number)
    recipients, lookup = look_up_recipients(
        request(NotificationChannel.EMAIL, recipient), by_nin(RESERVED), {}
    )
    assert (lookup.status, lookup.is_reserved) == (
        RecipientLookupStatus.FAILED,
        [RESERVED.national_identity_number],
    )
    assert recipients[0].is_reserved is True

    ignoring = request(NotificationChannel.EMAIL, recipient, ignore_reservation=True)
    recipients, lookup = look_up_recipients(ignoring, by_nin(RESERVED), {})
    assert (lookup.status, lookup.is_reserved) == (RecipientLookupStatus.SUCCESS, [])
    assert recipients[0].is_reserved is True


def test_look_up__unknown_person_and_organisation__failed_with_both_missing() -> None:
    order = request(
        NotificationChannel.SMS,
        Recipient(national_identity_number="09097012345"),
        Recipient(organization_number="987654321"),
    )
    recipients, lookup = look_up_recipients(order, {}, {})
    assert lookup.status is RecipientLookupStatus.FAILED
    assert lookup.missing_contact == ["09097012345", "987654321"]
    assert recipients[0].is_reserved is None
