"""The purchase-order vocabulary: statuses, product types, payment methods, the rules of which
orders the fulfilment API may complete without the user, and the typed rows the repository reads and
writes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

MAX_ID = 2**31 - 1
"""Order, customer and product numbers are 32-bit integers in the database."""
MAX_AMOUNT = Decimal("9999999999.99")
"""The largest amount a Numeric(12, 2) column holds."""
MAX_CLIENT_NAME = 200
"""The longest client name stored; a longer one is cut."""


class OrderStatus(StrEnum):
    """The seed's four statuses; only `preliminary → confirmed → processed`, or `failed`, happen."""

    PRELIMINARY = "preliminary"
    CONFIRMED = "confirmed"
    PROCESSED = "processed"
    FAILED = "failed"


ORDER_STATUS_DESCRIPTIONS = {
    OrderStatus.PRELIMINARY: "Registered; not yet completed by fulfilment.",
    OrderStatus.CONFIRMED: "Received and Validated.",
    OrderStatus.PROCESSED: "Processed in Connect",
    OrderStatus.FAILED: "Fulfilment or processing failed; the order will not be processed.",
}


class ProductSpecType(StrEnum):
    COUPON = "coupon"
    PRODUCT = "product"
    ISSUE = "issue"
    ARTICLE = "article"


REQUIRED_LINE_FIELDS: dict[ProductSpecType, tuple[str, ...]] = {
    ProductSpecType.COUPON: ("productSpecCode", "productSpecNo"),
    ProductSpecType.PRODUCT: ("product",),
    ProductSpecType.ISSUE: ("productSpecCode", "productSpecNo", "product"),
    ProductSpecType.ARTICLE: ("articleDetail",),
}
"""Which fields an order line of each type must carry (the original's order guide)."""


class PaymentMethod(StrEnum):
    INVOICE = "invoice"
    SMS = "sms"
    SMS_PAY = "smsPay"
    VIPPS_RECURRING = "vippsRecurring"
    KCO = "kco"
    CREDITCARD_PAYEX = "creditcardPayex"
    SWISH_PAYEX = "swishPayex"
    VIPPS_ECOMMERCE = "vippsEcommerce"
    NEXI = "nexi"
    OTHER = "other"
    FREE = "free"
    CREDITCARD = "creditcard"
    MASTERPASS = "masterpass"


NO_USER_NEEDED = frozenset({PaymentMethod.INVOICE, PaymentMethod.OTHER, PaymentMethod.FREE})
"""Orders paid this way are completed by the fulfilment API alone; prepaid orders of any method too.
The other methods need the user at a payment provider, which orderdesk does not run."""


class InvoiceStatus(StrEnum):
    NOT_INVOICED = "notInvoiced"
    INVOICED = "invoiced"


class DeliveryStatus(StrEnum):
    WAITING = "waiting"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"


class CallbackState(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    ABANDONED = "abandoned"


class FulfilmentStatus(StrEnum):
    OK = "OK"
    ERROR = "ERROR"


@dataclass(frozen=True, slots=True)
class OrderSummary:
    """What a status read shows of an order."""

    order_id: int
    external_order_id: str | None
    order_time: datetime
    status: OrderStatus
    amount: Decimal
    customer_number: int | None


@dataclass(frozen=True, slots=True)
class LineState:
    """An order line as a customer sees it (user-mode search)."""

    product_id: str | None
    description: str | None
    invoice_number: int | None
    invoice_time: datetime | None
    line_amount: Decimal | None
    invoice_status: InvoiceStatus
    delivery_status: DeliveryStatus


@dataclass(frozen=True, slots=True)
class OrderDetails:
    summary: OrderSummary
    lines: tuple[LineState, ...]


@dataclass(frozen=True, slots=True)
class Fulfilment:
    """The answer of the fulfilment API: business refusals are an ERROR with a message, not a 4xx."""

    status: FulfilmentStatus
    order_id: int
    error_message: str | None = None


@dataclass(frozen=True, slots=True)
class NewLine:
    spec_type: ProductSpecType
    product: str | None
    spec_code: str | None
    spec_no: int | None
    quantity: int
    unit_price: Decimal | None
    details: dict[str, object]
    """The line as the client sent it."""


@dataclass(frozen=True, slots=True)
class NewOrder:
    external_order_id: str | None
    order_time: datetime
    payment_method: PaymentMethod
    amount: Decimal
    currency: str
    recurring: bool
    prepaid: bool
    payer: dict[str, object]
    request: dict[str, object]
    lines: tuple[NewLine, ...]


# Rows as the repository reads and writes them


@dataclass(frozen=True, slots=True)
class StoredOrder:
    """An order as fulfilment and processing read it."""

    order_id: int
    client_id: str
    status: OrderStatus
    payment_method: PaymentMethod
    amount: Decimal
    currency: str
    prepaid: bool
    payer: dict[str, Any]
    failure_reason: str | None
    processing_errors: int
    callback_url: str | None


@dataclass(frozen=True, slots=True)
class StoredLine:
    """An order line as the client registered it, to be checked against the catalogue."""

    line_id: int
    order_id: int
    spec_type: ProductSpecType
    product: str | None
    spec_code: str | None
    spec_no: int | None
    quantity: int
    unit_price: Decimal | None
    details: dict[str, Any]


@dataclass(frozen=True, slots=True)
class CatalogProduct:
    """A product of the catalogue, as order lines are checked against it."""

    product_id: int
    catalog_key: str
    unit_price: Decimal
    description: str | None


@dataclass(frozen=True, slots=True)
class NewProduct:
    """A product of an import file, to be added to the catalogue or to replace the one of its key."""

    catalog_key: str
    spec_type: ProductSpecType
    product: str | None
    spec_code: str | None
    spec_no: int | None
    unit_price: Decimal
    description: str | None


@dataclass(frozen=True, slots=True)
class LineOutcome:
    """A line as processing leaves it: invoiced and delivered, or not invoiced and cancelled."""

    line_id: int
    product_id: int | None
    description: str | None
    line_amount: Decimal | None
    invoice_number: int | None
    invoice_status: InvoiceStatus
    delivery_status: DeliveryStatus


@dataclass(frozen=True, slots=True)
class NewCustomer:
    """A customer created for a payer that named no customer number."""

    email: str | None
    first_name: str | None
    last_name: str | None
    company_name: str | None
    details: dict[str, Any]
    """The payer as the client sent it."""


@dataclass(frozen=True, slots=True)
class ClaimedCallback:
    """A callback leased to one worker: the order's outcome to tell and where to tell it."""

    order_id: int
    url: str
    status: OrderStatus
    lease: str
    attempts: int
    """Calls made before this one."""
    signing_secret: str
    """The `whsec_` secret of the order's client: every call is signed with it."""


@dataclass(frozen=True, slots=True)
class CallbackOutcome:
    """What one callback call leaves: delivered, abandoned, or due again at `due_at`."""

    attempts: int
    error: str | None
    state: CallbackState | None = None
    """None: still pending."""
    due_at: datetime | None = None
    """Set only when the callback is to be made again."""


@dataclass(frozen=True, slots=True)
class ClientListing:
    """What `orderdesk clients list` shows of a client: never its secret or the secret's hash."""

    client_id: str
    name: str
    created_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True, slots=True)
class NewClient:
    client_id: str
    client_secret: str
    """Shown once, at registration; only its hash is stored."""
    callback_signing_secret: str
    """The `whsec_` secret that signs the client's callbacks: shown once too (stored as is, to sign)."""


@dataclass(frozen=True, slots=True)
class CallbackRecord:
    """Where an order's outcome is told and how telling it goes."""

    url: str | None
    state: CallbackState | None
    """None until fulfilment has ended (or without a URL)."""
    attempts: int
    """Calls made in the current round."""
    error: str | None
    """What the last call that failed answered; None once a call succeeds."""
    due_at: datetime | None
    """Pending: when the next call is made (while one is made, when its lease runs out)."""


@dataclass(frozen=True, slots=True)
class OrderListing:
    """An order of any client, as the people who run orderdesk see it in a list."""

    order_id: int
    client_id: str
    client_name: str
    external_order_id: str | None
    order_time: datetime
    status: OrderStatus
    amount: Decimal
    currency: str
    callback: CallbackRecord


@dataclass(frozen=True, slots=True)
class LineRecord:
    """An order line as stored: as the client sent it, with what processing made of it."""

    line_number: int
    spec_type: ProductSpecType
    product: str | None
    spec_code: str | None
    spec_no: int | None
    quantity: int
    unit_price: Decimal | None
    line_amount: Decimal | None
    description: str | None
    invoice_number: int | None
    invoice_status: InvoiceStatus
    delivery_status: DeliveryStatus


@dataclass(frozen=True, slots=True)
class OrderRecord:
    """Everything stored of an order but its request's copy, for the people who run orderdesk."""

    listing: OrderListing
    payment_method: PaymentMethod
    recurring: bool
    prepaid: bool
    payer: dict[str, Any]
    failure_reason: str | None
    customer_number: int | None
    created_at: datetime
    status_changed_at: datetime
    fulfilled_at: datetime | None
    lines: tuple[LineRecord, ...]
