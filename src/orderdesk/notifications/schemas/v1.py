"""Wire models of the notification API v1: camelCase on the wire, the field formats of `fields`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from orderdesk.core import jsonschema
from orderdesk.core.addresses import (
    EMAIL_PATTERN,
    MOBILE_NUMBER_FORMAT,
    is_national_identity_number,
    is_organization_number,
    normalize_mobile_number,
)
from orderdesk.notifications.models import (
    EMAIL_STATUS_DESCRIPTIONS,
    ORDER_STATUS_DESCRIPTIONS,
    SMS_STATUS_DESCRIPTIONS,
    EmailContentType,
    NotificationChannel,
    OrderProcessingStatus,
    RecipientLookupStatus,
)
from orderdesk.notifications.schemas.fields import (
    ABSOLUTE_HTTP_URL,
    NonBlank,
    Reference,
    RequestModel,
    ResourceAction,
    SmsSender,
    Subject,
    Text,
    WireModel,
    case_insensitive,
    email_address_value,
    iso_date_time,
    require_zone,
    status_table,
)


class RecipientExt(RequestModel):
    """One recipient: a national identity number, an organisation number, or an e-mail address
    and/or a mobile number."""

    model_config = ConfigDict(
        json_schema_extra={
            "not": {
                "anyOf": [
                    {
                        "allOf": [
                            jsonschema.given("nationalIdentityNumber", minLength=1),
                            jsonschema.any_given(
                                "emailAddress", "mobileNumber", "organizationNumber", minLength=1
                            ),
                        ]
                    },
                    {
                        "allOf": [
                            jsonschema.given("organizationNumber", minLength=1),
                            jsonschema.any_given("emailAddress", "mobileNumber", minLength=1),
                        ]
                    },
                ]
            }
        }
    )

    email_address: Text | None = Field(
        default=None,
        json_schema_extra={"maxLength": 320, "allOf": [{"pattern": EMAIL_PATTERN}]},
        examples=["recipient@domain.com"],
    )
    mobile_number: Text | None = Field(
        default=None,
        description="E.164, starting with `+` or `00` followed by the country code.",
        json_schema_extra={"pattern": r"^(\+|00)[0-9]{4,15}$", "format": MOBILE_NUMBER_FORMAT},
        examples=["+4799999999"],
    )
    organization_number: Text | None = Field(
        default=None, json_schema_extra={"pattern": "^[0-9]{9}$"}, examples=["311000179"]
    )
    national_identity_number: Text | None = Field(
        default=None, json_schema_extra={"pattern": "^[0-9]{11}$"}, examples=["07837399275"]
    )
    is_reserved: bool | None = Field(
        default=None,
        description="Output only: whether the person has reserved themselves against digital communication.",
    )

    @field_validator("email_address")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        return email_address_value(value)

    @field_validator("mobile_number")
    @classmethod
    def _mobile(cls, value: str | None) -> str | None:
        if value is None:
            return None
        normalized = normalize_mobile_number(value)
        if normalized is None:
            raise PydanticCustomError(
                "mobile_invalid",
                "Mobile number can contain only '+' and numeric characters, and it must be a valid "
                "E.164 number with country code.",
            )
        return normalized

    @field_validator("organization_number")
    @classmethod
    def _org(cls, value: str | None) -> str | None:
        if value is not None and not is_organization_number(value):
            raise PydanticCustomError(
                "organization_number_invalid", "Organization number must be 9 digits long."
            )
        return value

    @field_validator("national_identity_number")
    @classmethod
    def _nin(cls, value: str | None) -> str | None:
        if value is not None and not is_national_identity_number(value):
            raise PydanticCustomError("nin_invalid", "National identity number must be 11 digits long.")
        return value

    @model_validator(mode="after")
    def _one_kind_of_identifier(self) -> RecipientExt:
        if self.national_identity_number and (
            self.email_address or self.mobile_number or self.organization_number
        ):
            raise PydanticCustomError(
                "identifier_combination",
                "A national identity number cannot be combined with an email address, a mobile "
                "number or an organization number.",
            )
        if self.organization_number and (self.email_address or self.mobile_number):
            raise PydanticCustomError(
                "identifier_combination",
                "An organization number cannot be combined with an email address, a mobile number "
                "or a national identity number.",
            )
        return self


class EmailTemplateExt(RequestModel):
    from_address: Text | None = Field(
        default=None,
        description="Sender address; the configured default when left out.",
        json_schema_extra={"allOf": [{"pattern": EMAIL_PATTERN}]},
    )
    subject: Subject
    body: NonBlank
    content_type: Annotated[EmailContentType, case_insensitive(EmailContentType)] = EmailContentType.PLAIN

    @field_validator("from_address")
    @classmethod
    def _from(cls, value: str | None) -> str | None:
        return email_address_value(value) or None


class SmsTemplateExt(RequestModel):
    sender_number: SmsSender = Field(
        default=None, description="Sender name or number; the configured default when left out."
    )
    body: NonBlank


_EMAIL_IDS = ("emailAddress", "organizationNumber", "nationalIdentityNumber")
_SMS_IDS = ("mobileNumber", "organizationNumber", "nationalIdentityNumber")
_ANY_IDS = ("emailAddress", "mobileNumber", "organizationNumber", "nationalIdentityNumber")
_RESOURCE_ACTION_NEEDS_ID = {
    "anyOf": [jsonschema.not_given("resourceAction"), jsonschema.given("resourceId")]
}


def _each_recipient_has_one_of(*names: str) -> dict[str, Any]:
    return {"properties": {"recipients": {"items": jsonschema.any_given(*names)}}}


def _order_rules(*rules: dict[str, Any], examples: list[dict[str, Any]]) -> dict[str, Any]:
    """The rules across fields of an order request (validation.validate_order), in JSON Schema."""
    return {"allOf": [_RESOURCE_ACTION_NEEDS_ID, *rules], "examples": examples}


def _channel(
    channels: tuple[NotificationChannel, ...], templates: tuple[str, ...], ids: tuple[str, ...]
) -> Any:
    return {
        "properties": {"notificationChannel": {"enum": [channel.value for channel in channels]}},
        "allOf": [*(jsonschema.given(template) for template in templates), _each_recipient_has_one_of(*ids)],
    }


class OrderRequestBase(RequestModel):
    """Fields common to the three ways of placing an order."""

    senders_reference: Reference | None = Field(
        default=None,
        description="The creator's own reference; searchable with `GET /orders`.",
    )
    requested_send_time: Annotated[
        datetime | None, BeforeValidator(iso_date_time), AfterValidator(require_zone)
    ] = Field(
        default=None,
        description="When to send, with a time zone; at most five minutes in the past. "
        "Leave out to send now.",
    )
    condition_endpoint: Annotated[Text | None, ABSOLUTE_HTTP_URL] = Field(
        default=None,
        description='An absolute http(s) URL answering `{"sendNotification": bool}` at send time.',
        json_schema_extra={"pattern": jsonschema.HTTP_URL_PATTERN},
    )
    recipients: list[RecipientExt] = Field(
        description="One or more recipients.", json_schema_extra={"minItems": 1}
    )
    ignore_reservation: StrictBool | None = Field(
        default=None, description="Send to persons even if they have reserved themselves."
    )
    resource_id: Reference | None = None
    resource_action: ResourceAction | None = Field(default=None, description="Needs `resourceId`.")


class NotificationOrderRequestExt(OrderRequestBase):
    """`POST /orders`: any channel, with the templates that channel needs."""

    model_config = ConfigDict(
        json_schema_extra=_order_rules(
            {
                "anyOf": [
                    _channel((NotificationChannel.EMAIL,), ("emailTemplate",), _EMAIL_IDS),
                    _channel((NotificationChannel.SMS,), ("smsTemplate",), _SMS_IDS),
                    _channel(
                        (
                            NotificationChannel.EMAIL_PREFERRED,
                            NotificationChannel.SMS_PREFERRED,
                            NotificationChannel.EMAIL_AND_SMS,
                        ),
                        ("emailTemplate", "smsTemplate"),
                        _ANY_IDS,
                    ),
                ]
            },
            examples=[
                {
                    "sendersReference": "demo-2026-03",
                    "notificationChannel": "EmailPreferred",
                    "recipients": [{"organizationNumber": "311000179"}],
                    "emailTemplate": {"subject": "Notice", "body": "Dear $recipientName$"},
                    "smsTemplate": {"senderNumber": "Altinn", "body": "Notice for $recipientName$"},
                }
            ],
        )
    )

    notification_channel: Annotated[NotificationChannel, case_insensitive(NotificationChannel)] = Field(
        description="Email and Sms need their template; EmailPreferred, SmsPreferred and "
        "EmailAndSms need both."
    )
    email_template: EmailTemplateExt | None = None
    sms_template: SmsTemplateExt | None = None


class EmailNotificationOrderRequestExt(OrderRequestBase):
    """`POST /orders/email`: an e-mail from the default sender address."""

    model_config = ConfigDict(
        json_schema_extra=_order_rules(
            _each_recipient_has_one_of(*_EMAIL_IDS),
            examples=[
                {
                    "sendersReference": "demo-2026-01",
                    "recipients": [
                        {"emailAddress": "recipient@domain.com"},
                        {"nationalIdentityNumber": "07837399275"},
                    ],
                    "subject": "Hello $recipientName$",
                    "body": "A message sent from an application owner.",
                    "contentType": "Plain",
                }
            ],
        )
    )

    subject: Subject
    body: NonBlank
    content_type: Annotated[EmailContentType, case_insensitive(EmailContentType)] = EmailContentType.PLAIN


class SmsNotificationOrderRequestExt(OrderRequestBase):
    """`POST /orders/sms`: an SMS, sent in the daytime window."""

    model_config = ConfigDict(
        json_schema_extra=_order_rules(
            _each_recipient_has_one_of(*_SMS_IDS),
            examples=[
                {
                    "sendersReference": "demo-2026-02",
                    "recipients": [{"mobileNumber": "+4799999999"}],
                    "senderNumber": "Altinn",
                    "body": "A text message sent by a service owner.",
                }
            ],
        )
    )

    sender_number: SmsSender = None
    body: NonBlank


# ---- responses -------------------------------------------------------------------------------


class RecipientLookupResultExt(WireModel):
    status: RecipientLookupStatus
    is_reserved: list[str] = Field(default_factory=list)
    missing_contact: list[str] = Field(default_factory=list)


class NotificationOrderRequestResponseExt(WireModel):
    order_id: UUID
    recipient_lookup: RecipientLookupResultExt | None = Field(
        default=None,
        description="Present when a recipient was given by national identity number or "
        "organization number and had to be looked up.",
    )


class OrderResourceLinksExt(WireModel):
    self_: str = Field(alias="self")
    status: str


# Every wire model ends in `Ext`, as the seed names them (no docstring: it would enter the OpenAPI
# document); a template read back is not the request's (`EmailTemplateExt`), so its name says so.
class EmailTemplateResponseExt(WireModel):
    from_address: str
    subject: str
    body: str
    content_type: EmailContentType


class SmsTemplateResponseExt(WireModel):
    sender_number: str
    body: str


class NotificationOrderBaseExt(WireModel):
    id: UUID
    creator: str
    senders_reference: str | None = None
    requested_send_time: datetime
    created: datetime
    notification_channel: NotificationChannel
    ignore_reservation: bool | None = None
    resource_id: str | None = None
    resource_action: str | None = None
    condition_endpoint: str | None = None


class NotificationOrderExt(NotificationOrderBaseExt):
    recipients: list[RecipientExt]
    email_template: EmailTemplateResponseExt | None = None
    sms_template: SmsTemplateResponseExt | None = None
    links: OrderResourceLinksExt


class NotificationOrderListExt(WireModel):
    count: int
    orders: list[NotificationOrderExt]


class OrderStatusExt(WireModel):
    status: OrderProcessingStatus = Field(
        description="v1 shows `Processed` as `Completed`.\n\n" + status_table(ORDER_STATUS_DESCRIPTIONS)
    )
    description: str
    last_update: datetime


class NotificationSummaryLinksExt(WireModel):
    self_: str = Field(alias="self")


class ChannelStatusSummaryExt(WireModel):
    links: NotificationSummaryLinksExt
    generated: int
    succeeded: int


class NotificationsStatusSummaryExt(WireModel):
    email: ChannelStatusSummaryExt | None = None
    sms: ChannelStatusSummaryExt | None = None


class NotificationOrderWithStatusExt(NotificationOrderBaseExt):
    processing_status: OrderStatusExt
    notifications_status_summary: NotificationsStatusSummaryExt | None = Field(
        default=None, description="Present once notifications have been generated."
    )


class SendStatusExt(WireModel):
    status: str
    description: str
    last_update: datetime


class EmailRecipientExt(WireModel):
    email_address: str | None = None
    organization_number: str | None = None
    national_identity_number: str | None = None


class SmsRecipientExt(WireModel):
    mobile_number: str | None = None
    organization_number: str | None = None
    national_identity_number: str | None = None


class EmailNotificationWithResultExt(WireModel):
    id: UUID
    succeeded: bool
    recipient: EmailRecipientExt
    send_status: SendStatusExt = Field(
        description="Email statuses:\n\n" + status_table(EMAIL_STATUS_DESCRIPTIONS)
    )


class SmsNotificationWithResultExt(WireModel):
    id: UUID
    succeeded: bool
    recipient: SmsRecipientExt
    send_status: SendStatusExt = Field(
        description="SMS statuses:\n\n" + status_table(SMS_STATUS_DESCRIPTIONS)
    )


class EmailNotificationSummaryExt(WireModel):
    order_id: UUID
    senders_reference: str | None = None
    generated: int
    succeeded: int
    notifications: list[EmailNotificationWithResultExt]


class SmsNotificationSummaryExt(WireModel):
    order_id: UUID
    senders_reference: str | None = None
    generated: int
    succeeded: int
    notifications: list[SmsNotificationWithResultExt]
