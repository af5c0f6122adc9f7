"""Tables of the notification family: orders and the notifications generated from them."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    Uuid,
)

from orderdesk.core.db import UTCDateTime, metadata

notification_order = Table(
    "notification_order",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("creator", String(100), nullable=False),  # auth.verifier.MAX_ORG_LENGTH
    Column("senders_reference", String(500), nullable=True),
    Column("requested_send_at", UTCDateTime, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("notification_channel", String(16), nullable=False),
    Column("sending_time_policy", String(16), nullable=False),
    Column("ignore_reservation", Boolean, nullable=True),
    Column("resource_id", String(500), nullable=True),
    Column("resource_action", String(200), nullable=True),
    Column("condition_endpoint", Text, nullable=True),
    Column("recipients", JSON, nullable=False),
    # none_as_null: an order without a template gets SQL NULL, not the JSON value `null`.
    Column("email_template", JSON(none_as_null=True), nullable=True),
    Column("sms_template", JSON(none_as_null=True), nullable=True),
    Column("processing_status", String(32), nullable=False),
    Column("status_changed_at", UTCDateTime, nullable=False),
    # Counters kept with the order so that a status read is one row, however many notifications.
    Column("email_generated", Integer, nullable=False, server_default="0"),
    Column("email_succeeded", Integer, nullable=False, server_default="0"),
    Column("sms_generated", Integer, nullable=False, server_default="0"),
    Column("sms_succeeded", Integer, nullable=False, server_default="0"),
    Index("ix_notification_order_creator_senders_reference", "creator", "senders_reference"),
    Index("ix_notification_order_status_requested_send_at", "processing_status", "requested_send_at"),
)

notification_email = Table(
    "notification_email",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column(
        "notification_order_id",
        Uuid,
        ForeignKey("notification_order.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("to_address", String(320), nullable=True),
    Column("recipient_organization_number", String(9), nullable=True),
    Column("recipient_national_identity_number", String(11), nullable=True),
    Column("customized_subject", Text, nullable=True),
    Column("customized_body", Text, nullable=True),
    Column("status", String(40), nullable=False),
    Column("status_changed_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Index("ix_notification_email_order_id", "notification_order_id"),
    Index("ix_notification_email_status_id", "status", "id"),
)

notification_sms = Table(
    "notification_sms",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column(
        "notification_order_id",
        Uuid,
        ForeignKey("notification_order.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("mobile_number", String(20), nullable=True),
    Column("recipient_organization_number", String(9), nullable=True),
    Column("recipient_national_identity_number", String(11), nullable=True),
    Column("customized_body", Text, nullable=True),
    Column("status", String(40), nullable=False),
    Column("status_changed_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Index("ix_notification_sms_order_id", "notification_order_id"),
    Index("ix_notification_sms_status_id", "status", "id"),
)
