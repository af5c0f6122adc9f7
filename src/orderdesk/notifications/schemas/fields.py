"""Field formats shared by the notification API's wire models: text that can be stored, e-mail addresses,
subjects, SMS senders, zoned send times, http(s) URLs, and enums accepted in any case."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictStr,
    StringConstraints,
)
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

from orderdesk.core import jsonschema
from orderdesk.core.addresses import (
    EMAIL_PATTERN,
    MOBILE_NUMBER_FORMAT,
    is_national_identity_number,
    is_organization_number,
    is_valid_email,
    is_valid_sms_sender,
    normalize_mobile_number,
)
from orderdesk.core.text import has_control_characters
from orderdesk.web.wire import http_url, storable_text

E = TypeVar("E", bound=StrEnum)


def case_insensitive(enum: type[E]) -> BeforeValidator:
    """Enum names are accepted in any case on input, as the original service does."""
    by_lower = {member.value.lower(): member.value for member in enum}

    def convert(value: Any) -> Any:
        if isinstance(value, str):
            return by_lower.get(value.lower(), value)
        return value

    return BeforeValidator(convert)


def status_table(descriptions: dict[Any, str]) -> str:
    rows = "\n".join(f"| {status} | {text} |" for status, text in descriptions.items())
    return f"| Status | Description |\n|---|---|\n{rows}"


_ISO_DATE_PREFIX = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def iso_date_time(value: Any) -> Any:
    """Only ISO 8601 text is a date-time here: pydantic alone would take 1900000000 as a Unix time."""
    if value is not None and (not isinstance(value, str) or not _ISO_DATE_PREFIX.match(value)):
        raise PydanticCustomError("datetime_format", "The value must be an ISO 8601 date and time.")
    return value


def require_zone(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise PydanticCustomError(
            "time_zone_missing", "The requested send time value must have specified a time zone."
        )
    try:
        value.astimezone(UTC)
    except OverflowError:
        raise PydanticCustomError(
            "datetime_out_of_range", "The requested send time is out of range in UTC."
        ) from None
    return value


ABSOLUTE_HTTP_URL = http_url("The condition endpoint must be an absolute http or https URL.")


def not_blank(value: str) -> str:
    if not value.strip():
        raise PydanticCustomError("blank", "The value cannot be empty or whitespace.")
    return value


_STORABLE = storable_text("The value cannot contain NUL characters or unpaired surrogates.")


Text = Annotated[StrictStr, _STORABLE, Field(json_schema_extra={"pattern": jsonschema.STORABLE_PATTERN})]
"""Every string the API accepts: strict (no numbers turned into text) and storable."""
Reference = Annotated[
    StrictStr,
    StringConstraints(max_length=500),
    _STORABLE,
    Field(json_schema_extra={"pattern": jsonschema.STORABLE_PATTERN}),
]
"""Text kept in a column of at most 500 characters."""


NonBlank = Annotated[
    Text,
    AfterValidator(not_blank),
    Field(json_schema_extra={"pattern": jsonschema.NON_BLANK_PATTERN, "minLength": 1}),
]
ResourceAction = Annotated[
    StrictStr,
    StringConstraints(max_length=200),
    _STORABLE,
    AfterValidator(not_blank),
    Field(json_schema_extra={"pattern": jsonschema.NON_BLANK_PATTERN}),
]


class WireModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")


class RequestModel(WireModel):
    """A request body or a part of one: a field it does not name is refused by its path (a misspelt
    optional field such as `sendrsReference` would otherwise pass unnoticed), where the original
    service ignores it. The document says so with `additionalProperties: false`."""

    model_config = ConfigDict(extra="forbid")


CONTROL_CODE = "control_characters"


def email_address_value(value: str | None) -> str | None:
    """An address that becomes a header (To, From): a control character anywhere, even quoted as
    `"a\\<CR>Bcc: …"@example.com`, could add a header of its own, so it is refused by name."""
    if value is None:
        return None
    if has_control_characters(value):
        raise PydanticCustomError(
            CONTROL_CODE, "The email address cannot contain control characters such as CR or LF."
        )
    if not is_valid_email(value):
        raise PydanticCustomError("email_invalid", "Invalid email address format.")
    return value.strip()


def single_line(value: str) -> str:
    """A subject is one header line: every line break the e-mail library refuses in a header (CR, LF,
    and also VT, FF, NEL, U+2028 and the like) becomes a space, as the original service does. Any other
    control character (TAB, ESC, DEL …) has no place in a header and is refused."""
    single = " ".join(value.splitlines())
    if has_control_characters(single):
        raise PydanticCustomError(CONTROL_CODE, "The subject cannot contain control characters.")
    return single


_SUBJECT_PATTERN = r"^[^\x00-\x09\x0e-\x1b\x1f\x7f-\x84\x86-\x9f]*$"
"""`single_line` as a pattern: no control character but the line breaks it turns into spaces."""
Subject = Annotated[
    NonBlank,
    AfterValidator(single_line),
    Field(json_schema_extra={"allOf": [{"pattern": _SUBJECT_PATTERN}]}),
]


def sms_sender(value: str | None) -> str | None:
    if value is not None and not is_valid_sms_sender(value):
        raise PydanticCustomError(
            "sender_invalid",
            "The sender must be a phone number or at most 11 letters, digits, spaces, '.', '_' or '-'.",
        )
    return value


SmsSender = Annotated[
    Text | None,
    AfterValidator(sms_sender),
    Field(json_schema_extra={"pattern": r"^(?:\+?[0-9]{1,15}|[A-Za-z0-9 ._-]{1,11})$"}),
]


def _mobile_number(value: str) -> str:
    normalized = normalize_mobile_number(value)
    if normalized is None:
        raise PydanticCustomError(
            "mobile_invalid",
            "Mobile number can contain only '+' and numeric characters, and it must be a valid E.164 "
            "number with country code.",
        )
    return normalized


def _checked(is_valid: Callable[[str], bool], code: str, message: str) -> AfterValidator:
    def check(value: str) -> str:
        if not is_valid(value):
            raise PydanticCustomError(code, message)
        return value

    return AfterValidator(check)


EmailAddress = Annotated[
    Text,
    AfterValidator(email_address_value),
    Field(json_schema_extra={"maxLength": 320, "allOf": [{"pattern": EMAIL_PATTERN}]}),
]
MobileNumber = Annotated[
    Text,
    AfterValidator(_mobile_number),
    Field(
        description="E.164, starting with `+` or `00` followed by the country code.",
        json_schema_extra={"pattern": r"^(\+|00)[0-9]{4,15}$", "format": MOBILE_NUMBER_FORMAT},
    ),
]
NationalIdentityNumber = Annotated[
    Text,
    _checked(is_national_identity_number, "nin_invalid", "National identity number must be 11 digits long."),
    Field(json_schema_extra={"pattern": "^[0-9]{11}$"}),
]
OrganizationNumber = Annotated[
    Text,
    _checked(
        is_organization_number, "organization_number_invalid", "Organization number must be 9 digits long."
    ),
    Field(json_schema_extra={"pattern": "^[0-9]{9}$"}),
]
ZonedTime = Annotated[datetime, BeforeValidator(iso_date_time), AfterValidator(require_zone)]
"""An ISO 8601 date and time with a time zone."""
ConditionEndpoint = Annotated[
    Text,
    ABSOLUTE_HTTP_URL,
    Field(
        description='An absolute http(s) URL answering `{"sendNotification": bool}` at send time.',
        json_schema_extra={"pattern": jsonschema.HTTP_URL_PATTERN},
    ),
]
