"""The purchase-order vocabulary: statuses, product types, payment methods, and the rules of which
orders the fulfilment API may complete without the user."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum


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
