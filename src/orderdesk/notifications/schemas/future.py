"""Wire models of the current API generation's orders (`/future/orders`): order chains with their
reminders, the recipient kinds, and the sending options each channel takes. Instant and composed
orders reuse the options and the single-address recipients.

Every rule across fields is also stated in JSON Schema (`core.jsonschema`), so that a client that
generates requests from the document gets none refused for a rule it could not see.
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from pydantic import (
    AfterValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StringConstraints,
    model_validator,
)
from pydantic_core import PydanticCustomError

from orderdesk.core import jsonschema
from orderdesk.core.addresses import BARE_EMAIL_PATTERN, is_valid_email
from orderdesk.notifications.models import EmailContentType, NotificationChannel, SendingTimePolicy
from orderdesk.notifications.schemas.fields import (
    ConditionEndpoint,
    EmailAddress,
    MobileNumber,
    NationalIdentityNumber,
    NonBlank,
    OrganizationNumber,
    Reference,
    RequestModel,
    ResourceAction,
    SmsSender,
    Subject,
    Text,
    WireModel,
    ZonedTime,
    case_insensitive,
)

MAX_DELAY_DAYS = 3650
"""A reminder's delay is at most ten years: enough for any dialog, and no send time out of range."""

IdempotencyId = Annotated[
    NonBlank,
    StringConstraints(max_length=500),
    Field(
        description="Your id for this request: sending it again with the same id registers nothing new "
        "and answers 200 with the first answer.",
        examples=["a3f1c6b2-0b4e-4f0e-9d55-31c9e8f5a001"],
    ),
]

_RESOURCE_ID_PATTERN = "^urn:altinn:resource:[^\\x00]+$"


_RESOURCE_PREFIX = "urn:altinn:resource:"


def _resource_urn(value: str | None) -> str | None:
    if value is not None and not (value.startswith(_RESOURCE_PREFIX) and len(value) > len(_RESOURCE_PREFIX)):
        raise PydanticCustomError(
            "resource_id_invalid", "The resource id must be a URN urn:altinn:resource:{id}."
        )
    return value


ResourceId = Annotated[
    Reference,
    AfterValidator(_resource_urn),
    Field(
        description="The resource the notification concerns, as `urn:altinn:resource:{id}`.",
        json_schema_extra={"allOf": [{"pattern": _RESOURCE_ID_PATTERN}]},
    ),
]

_IDPORTEN_EMAIL = "urn:altinn:person:idporten-email:"
_USERNAME_PREFIXES = (
    "urn:altinn:username:",
    "urn:altinn:person:legacy-selfidentified:",
    "urn:altinn:party:username:",
)
_EXTERNAL_IDENTITY_PATTERN = (
    f"^(?:{_IDPORTEN_EMAIL}{BARE_EMAIL_PATTERN}"
    "|(?:urn:altinn:username:|urn:altinn:person:legacy-selfidentified:|urn:altinn:party:username:)[^\\x00]+)$"
)


def idporten_email(identity: str) -> str | None:
    """The address an ID-porten e-mail identity names; None for a username identity."""
    return identity.removeprefix(_IDPORTEN_EMAIL) if identity.startswith(_IDPORTEN_EMAIL) else None


def _external_identity(value: str) -> str:
    address = idporten_email(value)
    if address is not None and is_valid_email(address) and address == address.strip():
        return value
    if value.startswith(_USERNAME_PREFIXES) and not value.endswith(":"):
        return value
    raise PydanticCustomError(
        "external_identity_invalid",
        "The external identity must be urn:altinn:person:idporten-email:{email address} or a "
        "username URN (urn:altinn:username:…, urn:altinn:person:legacy-selfidentified:…, "
        "urn:altinn:party:username:…).",
    )


ExternalIdentity = Annotated[
    Text,
    StringConstraints(max_length=500),
    AfterValidator(_external_identity),
    Field(json_schema_extra={"allOf": [{"pattern": _EXTERNAL_IDENTITY_PATTERN}]}),
]


def _anytime_only(value: SendingTimePolicy) -> SendingTimePolicy:
    if value is not SendingTimePolicy.ANYTIME:
        raise PydanticCustomError(
            "policy_unsupported", "E-mail supports only the sending time policy Anytime."
        )
    return value


class EmailSendingOptionsExt(RequestModel):
    sender_email_address: EmailAddress | None = Field(
        default=None, description="Sender address; the configured default when left out."
    )
    subject: Subject
    body: NonBlank
    content_type: Annotated[EmailContentType, case_insensitive(EmailContentType)] = EmailContentType.PLAIN
    sending_time_policy: Annotated[
        SendingTimePolicy, case_insensitive(SendingTimePolicy), AfterValidator(_anytime_only)
    ] = Field(
        default=SendingTimePolicy.ANYTIME,
        description="E-mail goes out at any time of day: only `Anytime` is taken.",
        json_schema_extra={"enum": [SendingTimePolicy.ANYTIME.value]},
    )


class SmsSendingOptionsExt(RequestModel):
    sender: SmsSender = Field(
        default=None, description="Sender name or number; the configured default when left out."
    )
    body: NonBlank
    sending_time_policy: Annotated[SendingTimePolicy, case_insensitive(SendingTimePolicy)] = Field(
        default=SendingTimePolicy.DAYTIME,
        description="`Daytime` (the default) holds an SMS until the daytime window; `Anytime` sends it "
        "at once.",
    )


class RecipientEmailExt(RequestModel):
    email_address: EmailAddress
    email_settings: EmailSendingOptionsExt


class RecipientSmsExt(RequestModel):
    phone_number: MobileNumber
    sms_settings: SmsSendingOptionsExt


_CHANNEL = Annotated[NotificationChannel, case_insensitive(NotificationChannel)]
_BOTH = (
    NotificationChannel.EMAIL_PREFERRED,
    NotificationChannel.SMS_PREFERRED,
    NotificationChannel.EMAIL_AND_SMS,
)


def _settings_for_channel(default: NotificationChannel | None) -> dict[str, Any]:
    """`channelSchema` decides which settings are required; left out, it is `default` (None: required)."""

    def channel_is(*channels: NotificationChannel) -> dict[str, Any]:
        named = jsonschema.given("channelSchema", enum=[channel.value for channel in channels])
        if default is None or default not in channels:
            return named
        return {"anyOf": [named, jsonschema.not_given("channelSchema")]}

    return {
        "allOf": [
            {"anyOf": [jsonschema.not_given("resourceAction"), jsonschema.given("resourceId")]},
            {
                "anyOf": [
                    {"allOf": [channel_is(NotificationChannel.EMAIL), jsonschema.given("emailSettings")]},
                    {"allOf": [channel_is(NotificationChannel.SMS), jsonschema.given("smsSettings")]},
                    {
                        "allOf": [
                            channel_is(*_BOTH),
                            jsonschema.given("emailSettings"),
                            jsonschema.given("smsSettings"),
                        ]
                    },
                ]
            },
        ]
    }


class _LookedUpRecipient(RequestModel):
    """A recipient whose addresses come from the contact register: the channel decides which."""

    channel_schema: _CHANNEL | None = None
    resource_id: ResourceId | None = None
    resource_action: ResourceAction | None = Field(default=None, description="Needs `resourceId`.")
    email_settings: EmailSendingOptionsExt | None = None
    sms_settings: SmsSendingOptionsExt | None = None

    def channel(self, default: NotificationChannel) -> NotificationChannel:
        return self.channel_schema or default

    def _check(self, default: NotificationChannel | None) -> None:
        """The channel's settings are given (the JSON Schema above states the same)."""
        channel = self.channel_schema or default
        if channel is None:
            raise PydanticCustomError("channel_missing", "channelSchema is required.")
        if channel.needs_email_template and self.email_settings is None:
            raise PydanticCustomError(
                "settings_missing",
                "emailSettings is required for the channel schema {channel}.",
                {"channel": channel},
            )
        if channel.needs_sms_template and self.sms_settings is None:
            raise PydanticCustomError(
                "settings_missing",
                "smsSettings is required for the channel schema {channel}.",
                {"channel": channel},
            )
        if self.resource_action is not None and self.resource_id is None:
            raise PydanticCustomError(
                "resource_action", "A resource action cannot be given without a resource id."
            )


class RecipientPersonExt(_LookedUpRecipient):
    model_config = ConfigDict(json_schema_extra=_settings_for_channel(NotificationChannel.EMAIL_PREFERRED))

    national_identity_number: NationalIdentityNumber
    channel_schema: _CHANNEL | None = Field(default=None, description="`EmailPreferred` when left out.")
    ignore_reservation: StrictBool = Field(
        default=False, description="Send even if the person has reserved themselves against digital contact."
    )
    use_stale_contact_information: StrictBool = Field(
        default=False,
        description="Accepted for compatibility: orderdesk's contact register has no stale entries.",
    )

    @model_validator(mode="after")
    def _settings(self) -> RecipientPersonExt:
        self._check(NotificationChannel.EMAIL_PREFERRED)
        return self


class RecipientOrganizationExt(_LookedUpRecipient):
    model_config = ConfigDict(json_schema_extra=_settings_for_channel(None))

    org_number: OrganizationNumber
    channel_schema: _CHANNEL = Field(description="Required for organisations.")

    @model_validator(mode="after")
    def _settings(self) -> RecipientOrganizationExt:
        self._check(None)
        return self


class RecipientExternalIdentityExt(_LookedUpRecipient):
    model_config = ConfigDict(json_schema_extra=_settings_for_channel(NotificationChannel.EMAIL))

    external_identity: ExternalIdentity
    channel_schema: _CHANNEL | None = Field(default=None, description="`Email` when left out.")

    @model_validator(mode="after")
    def _settings(self) -> RecipientExternalIdentityExt:
        self._check(NotificationChannel.EMAIL)
        return self


_RECIPIENT_KINDS = (
    "recipientEmail",
    "recipientSms",
    "recipientPerson",
    "recipientOrganization",
    "recipientExternalIdentity",
)


class NotificationRecipientExt(RequestModel):
    model_config = ConfigDict(json_schema_extra=jsonschema.exactly_one_given(*_RECIPIENT_KINDS))

    recipient_email: RecipientEmailExt | None = None
    recipient_sms: RecipientSmsExt | None = None
    recipient_person: RecipientPersonExt | None = None
    recipient_organization: RecipientOrganizationExt | None = None
    recipient_external_identity: RecipientExternalIdentityExt | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> NotificationRecipientExt:
        kinds = (
            self.recipient_email,
            self.recipient_sms,
            self.recipient_person,
            self.recipient_organization,
            self.recipient_external_identity,
        )
        if sum(kind is not None for kind in kinds) != 1:
            raise PydanticCustomError(
                "recipient_kind",
                "The recipient must have exactly one of recipientEmail, recipientSms, recipientPerson, "
                "recipientOrganization and recipientExternalIdentity.",
            )
        return self


class DialogportenIdentifiersExt(RequestModel):
    dialog_id: Reference | None = None
    transmission_id: Reference | None = None


class NotificationReminderExt(RequestModel):
    model_config = ConfigDict(
        json_schema_extra=jsonschema.exactly_one_given("delayDays", "requestedSendTime")
    )

    senders_reference: Reference | None = None
    condition_endpoint: ConditionEndpoint | None = None
    delay_days: StrictInt | None = Field(
        default=None,
        ge=1,
        le=MAX_DELAY_DAYS,
        description="Days after the main notification's send time; or give `requestedSendTime`, not both.",
    )
    requested_send_time: ZonedTime | None = Field(
        default=None,
        description="When to send the reminder, with a time zone; or give `delayDays`, not both.",
    )
    recipient: NotificationRecipientExt

    @model_validator(mode="after")
    def _one_time(self) -> NotificationReminderExt:
        if (self.delay_days is None) == (self.requested_send_time is None):
            raise PydanticCustomError(
                "reminder_time", "A reminder needs either delayDays or requestedSendTime, not both."
            )
        return self


class NotificationOrderChainRequestExt(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "idempotencyId": "invoice-2026-0042",
                    "sendersReference": "invoice-2026-0042",
                    "recipient": {
                        "recipientEmail": {
                            "emailAddress": "recipient@domain.com",
                            "emailSettings": {"subject": "Your invoice", "body": "It is ready."},
                        }
                    },
                    "reminders": [
                        {
                            "delayDays": 7,
                            "conditionEndpoint": "https://example.com/invoice/42/unread",
                            "recipient": {
                                "recipientSms": {
                                    "phoneNumber": "+4799999999",
                                    "smsSettings": {"body": "Your invoice is still unread."},
                                }
                            },
                        }
                    ],
                }
            ]
        }
    )

    idempotency_id: IdempotencyId
    senders_reference: Reference | None = None
    requested_send_time: ZonedTime | None = Field(
        default=None, description="When to send, with a time zone, not in the past; now when left out."
    )
    condition_endpoint: ConditionEndpoint | None = None
    dialogporten_association: DialogportenIdentifiersExt | None = None
    recipient: NotificationRecipientExt
    reminders: list[NotificationReminderExt] | None = Field(
        default=None,
        description="Each reminder is an order of its own, sent at its time if its condition holds.",
        json_schema_extra={"maxItems": 50},
        max_length=50,
    )


class ReminderShipmentExt(WireModel):
    shipment_id: UUID
    senders_reference: str | None = None


class NotificationOrderChainShipmentExt(WireModel):
    shipment_id: UUID
    senders_reference: str | None = None
    reminders: list[ReminderShipmentExt] | None = None


class NotificationOrderChainResponseExt(WireModel):
    notification_order_id: UUID = Field(description="The id of the chain.")
    notification: NotificationOrderChainShipmentExt
