"""Domain values of notification orders: channels, statuses and their wire descriptions."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, NewType
from uuid import UUID

OrderId = NewType("OrderId", UUID)
Creator = NewType("Creator", str)

NOTIFICATION_HEADER = "X-Orderdesk-Notification-Id"
"""The header every e-mail we send carries, naming its notification: a bounce that returns the
message's headers names it too."""


class NotificationChannel(StrEnum):
    EMAIL = "Email"
    SMS = "Sms"
    EMAIL_PREFERRED = "EmailPreferred"
    SMS_PREFERRED = "SmsPreferred"
    EMAIL_AND_SMS = "EmailAndSms"

    @property
    def needs_email_template(self) -> bool:
        return self is not NotificationChannel.SMS

    @property
    def needs_sms_template(self) -> bool:
        return self is not NotificationChannel.EMAIL


class EmailContentType(StrEnum):
    PLAIN = "Plain"
    HTML = "Html"


class SendingTimePolicy(StrEnum):
    """When SMS may go out: v1 SMS keep to the daytime window."""

    DAYTIME = "Daytime"
    ANYTIME = "Anytime"


class OrderProcessingStatus(StrEnum):
    REGISTERED = "Registered"
    PROCESSING = "Processing"
    PROCESSED = "Processed"
    COMPLETED = "Completed"
    SEND_CONDITION_NOT_MET = "SendConditionNotMet"
    CANCELLED = "Cancelled"

    @property
    def v1(self) -> OrderProcessingStatus:
        """The v1 API predates `Processed` and shows it as `Completed`."""
        return OrderProcessingStatus.COMPLETED if self is OrderProcessingStatus.PROCESSED else self


class OrderType(StrEnum):
    """What an order is to its chain: v1 orders and a chain's main order are Notification."""

    NOTIFICATION = "Notification"
    REMINDER = "Reminder"
    INSTANT = "Instant"
    COMPOSED = "Composed"


class ChainKind(StrEnum):
    """The idempotency namespaces of the current API generation: the same idempotency id may name
    one chain, one instant order and one composed e-mail of the same creator."""

    NOTIFICATION = "Notification"
    INSTANT = "Instant"
    COMPOSED = "Composed"


ORDER_STATUS_DESCRIPTIONS: dict[OrderProcessingStatus, str] = {
    OrderProcessingStatus.REGISTERED: (
        "Order has been registered and is awaiting requested send time before processing."
    ),
    OrderProcessingStatus.PROCESSING: ("Order processing is ongoing. Notifications are being generated."),
    OrderProcessingStatus.PROCESSED: (
        "Order processing is done. Notifications have been successfully generated."
    ),
    OrderProcessingStatus.COMPLETED: (
        "Order processing is completed. All notifications have a final status."
    ),
    OrderProcessingStatus.SEND_CONDITION_NOT_MET: (
        "Order processing was stopped due to send condition not being met."
    ),
    OrderProcessingStatus.CANCELLED: "Order processing was stopped due to order being cancelled.",
}


class EmailStatus(StrEnum):
    NEW = "New"
    SENDING = "Sending"
    SUCCEEDED = "Succeeded"
    DELIVERED = "Delivered"
    FAILED = "Failed"
    FAILED_RECIPIENT_RESERVED = "Failed_RecipientReserved"
    FAILED_RECIPIENT_NOT_IDENTIFIED = "Failed_RecipientNotIdentified"
    FAILED_INVALID_EMAIL_FORMAT = "Failed_InvalidEmailFormat"
    FAILED_SUPPRESSED_RECIPIENT = "Failed_SupressedRecipient"  # the original's spelling, kept
    FAILED_BOUNCED = "Failed_Bounced"
    FAILED_FILTERED_SPAM = "Failed_FilteredSpam"
    FAILED_QUARANTINED = "Failed_Quarantined"
    FAILED_TTL = "Failed_TTL"
    FAILED_INVALID_SAS_URL = "Failed_InvalidSasUrl"
    FAILED_PAYLOAD_TOO_LARGE = "Failed_PayloadTooLarge"

    @property
    def counts_as_succeeded(self) -> bool:
        return self in (EmailStatus.SUCCEEDED, EmailStatus.DELIVERED)

    @property
    def is_final(self) -> bool:
        """Succeeded still waits for a delivery report; only what comes after it is final."""
        return self not in (EmailStatus.NEW, EmailStatus.SENDING, EmailStatus.SUCCEEDED)


EMAIL_STATUS_DESCRIPTIONS: dict[EmailStatus, str] = {
    EmailStatus.NEW: "The email has been created, but has not been picked up for processing yet.",
    EmailStatus.SENDING: "The email is being processed and will be attempted sent shortly.",
    EmailStatus.SUCCEEDED: (
        "The email has been accepted by the third party email service and will be sent shortly."
    ),
    EmailStatus.DELIVERED: (
        "The email was delivered to the recipient. No errors reported, making it likely it was "
        "received by the recipient."
    ),
    EmailStatus.FAILED: "The email was not sent due to an unspecified failure.",
    EmailStatus.FAILED_RECIPIENT_RESERVED: (
        "The email was not sent because the recipient has reserved themselves against digital communication."
    ),
    EmailStatus.FAILED_RECIPIENT_NOT_IDENTIFIED: (
        "The email was not sent because the recipient's email address was not found."
    ),
    EmailStatus.FAILED_INVALID_EMAIL_FORMAT: (
        "The email was not sent because the recipient\u2019s email address is in an invalid format."
    ),
    EmailStatus.FAILED_SUPPRESSED_RECIPIENT: (
        "The email was not sent because the recipient's address is on the provider's suppression list."
    ),
    EmailStatus.FAILED_BOUNCED: "The email bounced: the receiving mail server refused it for good.",
    EmailStatus.FAILED_FILTERED_SPAM: ("The email was identified as spam and was rejected or blocked."),
    EmailStatus.FAILED_QUARANTINED: ("The email was quarantined (as spam, bulk mail or phishing)."),
    EmailStatus.FAILED_TTL: (
        "The email was accepted, but no delivery report arrived before it expired (TTL)."
    ),
    EmailStatus.FAILED_INVALID_SAS_URL: (
        "The email was not sent because an attachment could not be fetched from its URL (refused, "
        "expired or not found)."
    ),
    EmailStatus.FAILED_PAYLOAD_TOO_LARGE: (
        "The email was not sent because it is too large with its attachments."
    ),
}


class SmsStatus(StrEnum):
    NEW = "New"
    SENDING = "Sending"
    ACCEPTED = "Accepted"
    DELIVERED = "Delivered"
    FAILED = "Failed"
    FAILED_INVALID_RECIPIENT = "Failed_InvalidRecipient"
    FAILED_RECIPIENT_RESERVED = "Failed_RecipientReserved"
    FAILED_BARRED_RECEIVER = "Failed_BarredReceiver"
    FAILED_DELETED = "Failed_Deleted"
    FAILED_EXPIRED = "Failed_Expired"
    FAILED_UNDELIVERED = "Failed_Undelivered"
    FAILED_RECIPIENT_NOT_IDENTIFIED = "Failed_RecipientNotIdentified"
    FAILED_REJECTED = "Failed_Rejected"
    FAILED_TTL = "Failed_TTL"

    @property
    def counts_as_succeeded(self) -> bool:
        return self in (SmsStatus.ACCEPTED, SmsStatus.DELIVERED)

    @property
    def is_final(self) -> bool:
        """Accepted still waits for a delivery report; only what comes after it is final."""
        return self not in (SmsStatus.NEW, SmsStatus.SENDING, SmsStatus.ACCEPTED)


SMS_STATUS_DESCRIPTIONS: dict[SmsStatus, str] = {
    SmsStatus.NEW: "The SMS has been created, but has not been picked up for processing yet.",
    SmsStatus.SENDING: "The SMS is being processed and will be attempted sent shortly.",
    SmsStatus.ACCEPTED: "The SMS has been accepted by the gateway service and will be sent shortly.",
    SmsStatus.DELIVERED: "The SMS was successfully delivered to the recipient.",
    SmsStatus.FAILED: "The SMS was not delivered due to an unspecified failure.",
    SmsStatus.FAILED_INVALID_RECIPIENT: (
        "The SMS was not delivered because the recipient's mobile number is invalid."
    ),
    SmsStatus.FAILED_RECIPIENT_RESERVED: (
        "The SMS was not sent because the recipient has reserved themselves against digital communication."
    ),
    SmsStatus.FAILED_BARRED_RECEIVER: (
        "The SMS was not delivered because the recipient's number is barred, blocked or not in use."
    ),
    SmsStatus.FAILED_DELETED: "The SMS was deleted before it was delivered.",
    SmsStatus.FAILED_EXPIRED: (
        "The SMS was not delivered because its validity period at the operator expired."
    ),
    SmsStatus.FAILED_UNDELIVERED: (
        "The SMS was not delivered because the number is invalid or could not be reached."
    ),
    SmsStatus.FAILED_RECIPIENT_NOT_IDENTIFIED: (
        "The SMS was not sent because the recipient's mobile number was not found."
    ),
    SmsStatus.FAILED_REJECTED: "The SMS was rejected by the operator.",
    SmsStatus.FAILED_TTL: ("The SMS was accepted, but no delivery report arrived before it expired (TTL)."),
}


NotificationStatus = EmailStatus | SmsStatus

_LIFECYCLE_RENAMES = {
    EmailStatus.FAILED_INVALID_EMAIL_FORMAT: "Email_Failed_InvalidFormat",
    EmailStatus.FAILED_SUPPRESSED_RECIPIENT: "Email_Failed_SuppressedRecipient",
}


def lifecycle_status(status: OrderProcessingStatus | NotificationStatus) -> str:
    """The name the current API generation gives a status, one list for orders and both channels:
    `Order_Processed`, `Email_Delivered`, `SMS_Accepted` (two e-mail failures are spelt anew there)."""
    if isinstance(status, OrderProcessingStatus):
        return f"Order_{status.value}"
    if isinstance(status, EmailStatus):
        return _LIFECYCLE_RENAMES.get(status, f"Email_{status.value}")
    return f"SMS_{status.value}"


class Channel(StrEnum):
    """The two ways a notification travels; each has its own table, statuses and provider."""

    EMAIL = "email"
    SMS = "sms"

    def status(self, value: str) -> NotificationStatus:
        return EmailStatus(value) if self is Channel.EMAIL else SmsStatus(value)

    @property
    def sent(self) -> NotificationStatus:
        """The status of a notification the provider took on and has not reported on yet."""
        return EmailStatus.SUCCEEDED if self is Channel.EMAIL else SmsStatus.ACCEPTED

    @property
    def failed(self) -> NotificationStatus:
        return EmailStatus.FAILED if self is Channel.EMAIL else SmsStatus.FAILED

    @property
    def new(self) -> NotificationStatus:
        return self.status("New")

    @property
    def sending(self) -> NotificationStatus:
        return self.status("Sending")

    @property
    def expired(self) -> NotificationStatus:
        """Failed_TTL: sent, but no delivery report came before it expired."""
        return self.status("Failed_TTL")

    @property
    def failures(self) -> tuple[NotificationStatus, ...]:
        """The channel's failure statuses: `Failed` and every `Failed_…` reason."""
        statuses: list[NotificationStatus] = list(EmailStatus if self is Channel.EMAIL else SmsStatus)
        return tuple(status for status in statuses if status.value.startswith("Failed"))


class RecipientLookupStatus(StrEnum):
    SUCCESS = "Success"
    PARTIAL_SUCCESS = "PartialSuccess"
    FAILED = "Failed"


@dataclass(frozen=True, slots=True)
class Recipient:
    """One recipient as ordered: exactly one kind of identifier, or e-mail and/or mobile."""

    email_address: str | None = None
    mobile_number: str | None = None
    organization_number: str | None = None
    national_identity_number: str | None = None
    is_reserved: bool | None = None

    def to_json(self) -> dict[str, Any]:
        data = {
            "emailAddress": self.email_address,
            "mobileNumber": self.mobile_number,
            "organizationNumber": self.organization_number,
            "nationalIdentityNumber": self.national_identity_number,
            "isReserved": self.is_reserved,
        }
        return {key: value for key, value in data.items() if value is not None}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Recipient:
        return cls(
            email_address=data.get("emailAddress"),
            mobile_number=data.get("mobileNumber"),
            organization_number=data.get("organizationNumber"),
            national_identity_number=data.get("nationalIdentityNumber"),
            is_reserved=data.get("isReserved"),
        )


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file a composed e-mail carries, as ordered: fetched from `url` when the e-mail is sent."""

    filename: str
    mime_type: str
    url: str


@dataclass(frozen=True, slots=True)
class EmailTemplate:
    from_address: str
    subject: str
    body: str
    content_type: EmailContentType = EmailContentType.PLAIN
    attachments: tuple[Attachment, ...] = ()
    """Only a composed e-mail's template has any."""


@dataclass(frozen=True, slots=True)
class SmsTemplate:
    sender_number: str
    body: str


@dataclass(frozen=True, slots=True)
class RecipientLookup:
    status: RecipientLookupStatus
    is_reserved: list[str] = field(default_factory=list)
    missing_contact: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class OrderRequest:
    """A validated order, ready to be registered."""

    notification_channel: NotificationChannel
    recipients: list[Recipient]
    requested_send_time: datetime | None = None
    senders_reference: str | None = None
    condition_endpoint: str | None = None
    ignore_reservation: bool | None = None
    resource_id: str | None = None
    resource_action: str | None = None
    email_template: EmailTemplate | None = None
    sms_template: SmsTemplate | None = None


@dataclass(frozen=True, slots=True)
class ChannelSummary:
    generated: int
    succeeded: int


@dataclass(frozen=True, slots=True)
class Order:
    """A stored order with its processing status and per-channel counters."""

    id: OrderId
    creator: Creator
    senders_reference: str | None
    requested_send_time: datetime
    created: datetime
    notification_channel: NotificationChannel
    sending_time_policy: SendingTimePolicy
    ignore_reservation: bool | None
    resource_id: str | None
    resource_action: str | None
    condition_endpoint: str | None
    recipients: list[Recipient]
    email_template: EmailTemplate | None
    sms_template: SmsTemplate | None
    processing_status: OrderProcessingStatus
    status_changed_at: datetime
    email: ChannelSummary
    sms: ChannelSummary
    order_type: OrderType = OrderType.NOTIFICATION


@dataclass(frozen=True, slots=True)
class OrderState:
    """An order without its recipients and templates: what a status read shows. Reading it costs
    the same for an order of ten recipients as for one of a hundred thousand."""

    id: OrderId
    creator: Creator
    senders_reference: str | None
    requested_send_time: datetime
    created: datetime
    notification_channel: NotificationChannel
    ignore_reservation: bool | None
    resource_id: str | None
    resource_action: str | None
    condition_endpoint: str | None
    processing_status: OrderProcessingStatus
    status_changed_at: datetime
    email: ChannelSummary
    sms: ChannelSummary


@dataclass(frozen=True, slots=True)
class NotificationResult:
    """One generated notification as the status endpoints show it."""

    id: UUID
    recipient: Recipient
    status: str
    status_changed_at: datetime
    succeeded: bool


@dataclass(frozen=True, slots=True)
class NotificationSummary:
    order_id: OrderId
    senders_reference: str | None
    generated: int
    succeeded: int
    notifications: list[NotificationResult]


@dataclass(frozen=True, slots=True)
class ClaimedOrder:
    """An order a worker claimed: its lease is named by `lease_token` and runs out at `lease_ends`."""

    order: Order
    lease_token: UUID
    condition_checks: int
    processing_attempts: int
    lease_ends: datetime


@dataclass(frozen=True, slots=True)
class ClaimedNotification:
    """A notification a dispatch loop claimed, with what it needs to build the message."""

    id: UUID
    order_id: UUID
    address: str
    customized_subject: str | None
    customized_body: str | None
    attempts: int
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class Templates:
    """What a dispatch loop needs of an order: its texts and senders (not its recipient list)."""

    email: EmailTemplate | None
    sms: SmsTemplate | None
    send_at: datetime | None = None
    """The send time the order asked for: when its messages were due (measured against it)."""


@dataclass(frozen=True, slots=True)
class Change:
    """A wanted change of one notification. `due_at` is set when it goes back to New for a retry;
    `delivery_report` is the provider's report as it came, kept with the notification."""

    id: UUID
    status: NotificationStatus
    provider_reference: str | None = None
    error: str | None = None
    delivery_report: dict[str, Any] | None = None
    due_at: datetime | None = None
    attachment_bytes: int | None = None
    """A composed e-mail's attachments as fetched for this attempt, in bytes."""


@dataclass(frozen=True, slots=True)
class LockedNotification:
    """A notification as it was when a status change locked it: what guards decide by."""

    id: UUID
    order_id: UUID
    status: NotificationStatus
    lease_token: UUID | None
    due_at: datetime
    expires_at: datetime
    provider_reference: str | None


class DeadReason(StrEnum):
    """Why a delivery report was not applied but kept as a dead letter."""

    INVALID_NOTIFICATION_IDENTIFIER = "INVALID_NOTIFICATION_IDENTIFIER"
    NOTIFICATION_EXPIRED = "NOTIFICATION_EXPIRED"
    UNRECOGNIZED_SEND_RESULT = "UNRECOGNIZED_SEND_RESULT"
    ALREADY_FINAL = "ALREADY_FINAL"


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    """A provider's report on one notification, named by our id or by the provider's reference.
    `status` None: the provider said something we do not recognise."""

    status: NotificationStatus | None
    raw: dict[str, Any]
    notification_id: UUID | None = None
    reference: str | None = None


@dataclass(frozen=True, slots=True)
class ReportsApplied:
    """`dead` counts every report not applied, per reason; `dropped` those of them that were not kept
    because the dead-letter table was full."""

    applied: int
    dead: dict[DeadReason, int]
    dropped: int = 0


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A delivery report kept because it could not be applied."""

    channel: Channel
    report: dict[str, Any]
    reason: DeadReason
    detail: str | None
    received_at: datetime
    notification_id: UUID | None = None
    """The notification the report named, if it named one (it may not exist)."""


@dataclass(frozen=True, slots=True)
class KeptDeadLetter:
    """A dead letter as stored, with the order of its notification when that exists."""

    id: int
    letter: DeadLetter
    order_id: UUID | None


@dataclass(frozen=True, slots=True)
class FailureTally:
    """How many notifications of a channel ended in one failure status, counted up to a cap: with
    `capped`, there are at least `count`."""

    channel: Channel
    status: NotificationStatus
    count: int
    capped: bool


@dataclass(frozen=True, slots=True)
class FailedNotification:
    """A notification that ended in a failure status, with what tells an operator why."""

    id: UUID
    order_id: UUID
    channel: Channel
    status: NotificationStatus
    status_changed_at: datetime
    recipient: str | None
    """The address it was for; None when none was found (a person not in the register)."""
    attempts: int
    last_error: str | None


@dataclass(frozen=True, slots=True)
class ChainOrder:
    """One order of a chain, main or reminder, validated and ready to be registered. A reminder's send
    time is either its own (in `request`) or `delay_days` after the main order's."""

    order_type: OrderType
    request: OrderRequest
    sending_time_policy: SendingTimePolicy
    delay_days: int | None = None
    unreachable: str | None = None
    """An identity orderdesk has no register for (a username URN): no contact point can be found."""


@dataclass(frozen=True, slots=True)
class ChainRequest:
    idempotency_id: str
    main: ChainOrder
    reminders: list[ChainOrder]
    dialog_id: str | None = None
    transmission_id: str | None = None

    @property
    def orders(self) -> list[ChainOrder]:
        return [self.main, *self.reminders]


@dataclass(frozen=True, slots=True)
class Shipment:
    """One order of a chain as its receipt names it."""

    order_id: OrderId
    senders_reference: str | None


@dataclass(frozen=True, slots=True)
class ChainReceipt:
    """What a chain was registered as: the answer to its request, and to every repeat of it."""

    chain_id: UUID
    main: Shipment
    reminders: list[Shipment]

    def to_json(self) -> dict[str, Any]:
        def shipment(s: Shipment) -> dict[str, Any]:
            return {"orderId": str(s.order_id), "sendersReference": s.senders_reference}

        return {
            "chainId": str(self.chain_id),
            "main": shipment(self.main),
            "reminders": [shipment(r) for r in self.reminders],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ChainReceipt:
        def shipment(s: dict[str, Any]) -> Shipment:
            return Shipment(OrderId(UUID(s["orderId"])), s.get("sendersReference"))

        return cls(
            chain_id=UUID(data["chainId"]),
            main=shipment(data["main"]),
            reminders=[shipment(r) for r in data["reminders"]],
        )


RESULT_MINUTES_KEPT = timedelta(hours=25)
"""How long the per-minute counts of notifications sent and failed are kept: the console's chart shows
24 hours, and a page rendered as the hour turns still finds all of them."""


@dataclass(frozen=True, slots=True)
class MinuteResults:
    """Notifications (of both channels) that were sent, and that failed, within one minute."""

    epoch_minute: int
    """Minutes since 1970-01-01 00:00 UTC."""
    sent: int
    failed: int


@dataclass(frozen=True, slots=True)
class ChannelResults:
    """Notifications of one channel that were sent, and that failed, over a span of minutes."""

    channel: Channel
    sent: int
    failed: int


class ProviderErrorKind(StrEnum):
    """How a provider failed a message, as the provider_errors metric counts it."""

    THROTTLED = "throttled"
    TEMPORARY = "temporary"
    PERMANENT = "permanent"
    EXCEPTION = "exception"


@dataclass(frozen=True, slots=True)
class ProviderError:
    """The last error a provider answered with; the message has its addresses and numbers redacted."""

    provider: str
    kind: ProviderErrorKind
    message: str
    at: datetime
