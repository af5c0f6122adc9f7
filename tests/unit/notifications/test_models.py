"""Statuses and channels of notifications: which count as sent, which are final."""

from __future__ import annotations

import pytest

from orderdesk.notifications.models import Channel, EmailStatus, OrderProcessingStatus, Recipient, SmsStatus
from orderdesk.notifications.tables import FAILED


@pytest.mark.parametrize("channel", list(Channel))
def test_channel__new_sending_and_sent__not_final(channel: Channel) -> None:
    assert not any(status.is_final for status in (channel.new, channel.sending, channel.sent))


@pytest.mark.parametrize("channel", list(Channel))
def test_channel__failed_and_expired__final_and_not_succeeded(channel: Channel) -> None:
    for status in (channel.failed, channel.expired):
        assert status.is_final
        assert not status.counts_as_succeeded


def test_channel__status__reads_the_channels_own_enum() -> None:
    assert Channel.EMAIL.status("Succeeded") is EmailStatus.SUCCEEDED
    assert Channel.SMS.status("Accepted") is SmsStatus.ACCEPTED
    with pytest.raises(ValueError, match="Succeeded"):
        Channel.SMS.status("Succeeded")


def test_statuses__sent_and_delivered_count_as_succeeded() -> None:
    succeeded = {status for status in EmailStatus if status.counts_as_succeeded}
    assert succeeded == {EmailStatus.SUCCEEDED, EmailStatus.DELIVERED}
    assert {status for status in SmsStatus if status.counts_as_succeeded} == {
        SmsStatus.ACCEPTED,
        SmsStatus.DELIVERED,
    }


def test_order_status__v1_shows_processed_as_completed() -> None:
    assert OrderProcessingStatus.PROCESSED.v1 is OrderProcessingStatus.COMPLETED
    assert OrderProcessingStatus.CANCELLED.v1 is OrderProcessingStatus.CANCELLED


def test_recipient__json_round_trip_leaves_out_what_is_not_given() -> None:
    recipient = Recipient(national_identity_number="01017012345", is_reserved=False)
    assert recipient.to_json() == {"nationalIdentityNumber": "01017012345", "isReserved": False}
    assert Recipient.from_json(recipient.to_json()) == recipient


@pytest.mark.parametrize("channel", list(Channel))
def test_channel_failures__final_and_unsuccessful__each_in_the_failure_index(channel: Channel) -> None:
    assert {channel.failed, channel.expired} <= set(channel.failures)
    assert all(status.is_final and not status.counts_as_succeeded for status in channel.failures)
    # The failure indexes hold the rows of the statuses the condition FAILED matches.
    assert FAILED == "status LIKE 'Failed%'"
    assert all(status.value.startswith("Failed") for status in channel.failures)
