"""Wire models of a composed e-mail (`/future/orders/composed-email`): one e-mail with attachments that
the worker fetches from their URLs at the send time.

The document states the attachment rules of the default settings (https, a host below
blob.core.windows.net, a signature with read permission): an operator who allows more hosts accepts
more than the document shows, never less. That the signature's expiry (`se`) lies at least 15 minutes
after the send time is relative to the clock, which no pattern can state.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError

from orderdesk.notifications.rules.attachments import (
    DEFAULT_SAS_URL_PATTERN,
    FILENAME_PATTERN,
    MAX_ATTACHMENTS,
    MAX_FILENAME_LENGTH,
    MIME_TYPES,
    SHAPE_PATTERN,
    filename_problem,
)
from orderdesk.notifications.schemas.fields import (
    ConditionEndpoint,
    EmailAddress,
    Reference,
    RequestModel,
    Text,
    ZonedTime,
)
from orderdesk.notifications.schemas.future import (
    DialogportenIdentifiersExt,
    EmailSendingOptionsExt,
    IdempotencyId,
)


def _filename(value: str) -> str:
    problem = filename_problem(value)
    if problem is not None:
        raise PydanticCustomError("filename_invalid", problem)
    return value


def _mime_type(value: str) -> str:
    if value not in MIME_TYPES:
        raise PydanticCustomError(
            "mime_type_unsupported", "The MIME type is not one attachments may have (see the list)."
        )
    return value


_SHAPE = re.compile(SHAPE_PATTERN)


def _sas_url(value: str) -> str:
    if _SHAPE.fullmatch(value) is None:
        raise PydanticCustomError(
            "sas_url_invalid",
            "The sasUrl must be an absolute https URL of printable characters, without a fragment.",
        )
    return value


Filename = Annotated[
    Text,
    AfterValidator(_filename),
    Field(
        description="The name the recipient sees, with an extension; no `/` or `\\`.",
        examples=["invoice-2026-0042.pdf"],
        json_schema_extra={"maxLength": MAX_FILENAME_LENGTH, "allOf": [{"pattern": FILENAME_PATTERN}]},
    ),
]
MimeType = Annotated[
    Text,
    AfterValidator(_mime_type),
    Field(
        description="The file's MIME type: one of the listed office, archive, text, image, audio and "
        "video types (no executables).",
        json_schema_extra={"enum": list(MIME_TYPES)},
    ),
]
SasUrl = Annotated[
    Text,
    AfterValidator(_sas_url),
    Field(
        description="Where the worker fetches the file when the e-mail is sent: an https URL of a host "
        "the operator allows (by default `*.blob.core.windows.net`, with a Shared Access Signature: "
        "`sp` granting read, `sig`, `sr=b`, and `se` at least 15 minutes after the send time). A URL "
        "that no longer gives the file then fails the e-mail as `Failed_InvalidSasUrl`.",
        examples=[
            "https://account.blob.core.windows.net/letters/invoice.pdf"
            "?sp=r&se=2030-01-01T00:00:00Z&sr=b&sig=c2lnbmF0dXJl"
        ],
        json_schema_extra={"allOf": [{"pattern": DEFAULT_SAS_URL_PATTERN}]},
    ),
]


class EmailAttachmentExt(RequestModel):
    filename: Filename
    mime_type: MimeType
    sas_url: SasUrl


class ComposedEmailSendingOptionsExt(EmailSendingOptionsExt):
    attachments: list[EmailAttachmentExt] = Field(
        default_factory=list,
        max_length=MAX_ATTACHMENTS,
        description=f"At most {MAX_ATTACHMENTS} files, fetched when the e-mail is sent.",
        json_schema_extra={"maxItems": MAX_ATTACHMENTS},
    )


class RecipientComposedEmailExt(RequestModel):
    email_address: EmailAddress
    email_settings: ComposedEmailSendingOptionsExt


class ComposedEmailRequestExt(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "idempotencyId": "invoice-2026-0042",
                    "sendersReference": "invoice-2026-0042",
                    "recipient": {
                        "emailAddress": "recipient@domain.com",
                        "emailSettings": {
                            "subject": "Your invoice",
                            "body": "Your invoice is attached.",
                            "attachments": [
                                {
                                    "filename": "invoice.pdf",
                                    "mimeType": "application/pdf",
                                    "sasUrl": "https://account.blob.core.windows.net/letters/invoice.pdf"
                                    "?sp=r&se=2030-01-01T00:00:00Z&sr=b&sig=c2lnbmF0dXJl",
                                }
                            ],
                        },
                    },
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
    recipient: RecipientComposedEmailExt
