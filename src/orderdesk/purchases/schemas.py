"""Wire models of the purchase API (`/capi/v1`), named as the original's JSON (camelCase), and the
format of the product catalogue file.

A field a request does not name is refused (`extra="forbid"`, `additionalProperties: false` in the
document), where the original ignores it: a misspelt `discountCode` must not pass unnoticed. Every
string must be storable, and every number must fit its column. Amounts are JSON numbers: a string such
as "1E+2" is refused, not converted.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StrictBool,
    StrictInt,
    StrictStr,
    StringConstraints,
    ValidationError,
    WithJsonSchema,
    model_validator,
)
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

from orderdesk.core import jsonschema
from orderdesk.core.addresses import (
    EMAIL_PATTERN,
    MOBILE_NUMBER_FORMAT,
    is_valid_email,
    normalize_register_mobile_number,
)
from orderdesk.core.errors import InvalidInput
from orderdesk.core.text import is_storable
from orderdesk.purchases.models import (
    MAX_AMOUNT,
    MAX_ID,
    REQUIRED_LINE_FIELDS,
    FulfilmentStatus,
    NewProduct,
    OrderStatus,
    PaymentMethod,
    ProductSpecType,
)
from orderdesk.purchases.rules.lines import catalog_key
from orderdesk.web.wire import http_url, storable_text

MAX_EPOCH_MS = 253_402_300_799_999
"""9999-12-31T23:59:59.999Z, the last instant a timestamp column holds."""
MAX_DEPTH = 32
"""How deeply the JSON of an order may nest (the order is stored as JSON and written back)."""


def _a_number(value: Any) -> Any:
    if isinstance(value, str | bool):
        raise PydanticCustomError("number_type", "Input should be a number.")
    return value


Money = Annotated[
    Decimal,
    BeforeValidator(_a_number),
    Field(ge=0, max_digits=12, decimal_places=2),
    WithJsonSchema({"type": "number", "minimum": 0, "maximum": float(MAX_AMOUNT), "multipleOf": 0.01}),
]
"""Multiples of 0.01: a third decimal is refused, not rounded."""


class _TooDeep(Exception):
    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.path = path


def _unstorable_path(value: Any, path: str, depth: int = 0) -> str | None:
    """Where in a JSON value a string holds NUL or a lone surrogate (neither can be stored);
    _TooDeep past MAX_DEPTH levels."""
    if depth > MAX_DEPTH:
        raise _TooDeep(path or "$")
    if isinstance(value, str):
        if not is_storable(value):
            return path or "$"
        return None
    children = (
        value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    )
    for key, child in children:
        if isinstance(key, str) and _unstorable_path(key, path) is not None:
            return path or "$"
        where = f"{path}[{key}]" if isinstance(key, int) else f"{path}.{key}" if path else str(key)
        found = _unstorable_path(child, where, depth + 1)
        if found is not None:
            return found
    return None


_ABSOLUTE_HTTP_URL = http_url("The callbackUrl must be an absolute http or https URL.")


def _integral(value: Any) -> Any:
    """6600.0 is the integer 6600 in JSON (and in JSON Schema); strings and booleans stay refused."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


_INTEGRAL = BeforeValidator(_integral)
"""After the bounds in `Annotated[...]`, so that the document keeps them as minimum and maximum."""


_STORABLE = storable_text("Strings cannot contain NUL characters or unpaired surrogates.")


def _email(value: str) -> str:
    # Lower-casing may lengthen an address (İ becomes two characters): it must still fit its column.
    if not is_valid_email(value) or len(value.strip().lower()) > 320:
        raise PydanticCustomError("email_invalid", "Not a valid e-mail address.")
    return value.strip()


def _phone(value: str) -> str:
    number = normalize_register_mobile_number(value)
    if number is None:
        raise PydanticCustomError("phone_invalid", "Not a valid phone number (+47… or eight digits).")
    return number


def _amount_json(value: Decimal) -> int | float:
    """295.00 is written 295 as in the original's examples; 149.5 stays 149.5."""
    return int(value) if value == value.to_integral_value() else float(value)


_STORABLE_TEXT = Field(json_schema_extra={"pattern": jsonschema.STORABLE_PATTERN})
"""What the body check refuses anywhere (NUL), stated on every free-text field of the document."""
Name = Annotated[StrictStr, StringConstraints(max_length=200), _STORABLE_TEXT]
PostalCode = Annotated[StrictStr, StringConstraints(max_length=20), _STORABLE_TEXT]
LongText = Annotated[StrictStr, StringConstraints(max_length=500), _STORABLE_TEXT]
Code = Annotated[StrictStr, StringConstraints(min_length=1, max_length=100), _STORABLE_TEXT]
ExternalOrderId = Annotated[StrictStr, StringConstraints(min_length=1, max_length=40), _STORABLE]
"""Checked here too, not only by RegisterOrderRequest: a search by it must not reach the database."""
WireMoney = Annotated[Decimal, PlainSerializer(_amount_json, return_type=int | float)]
Number = Annotated[StrictInt, Field(ge=0, le=MAX_ID), _INTEGRAL]
EpochMillis = Annotated[StrictInt, Field(ge=0, le=MAX_EPOCH_MS), _INTEGRAL]
Email = Annotated[
    StrictStr,
    StringConstraints(max_length=320),
    AfterValidator(_email),
    WithJsonSchema(
        {
            "type": "string",
            "maxLength": 320,
            "pattern": jsonschema.STORABLE_PATTERN,
            "allOf": [{"pattern": EMAIL_PATTERN}],
        }
    ),
]
Phone = Annotated[
    StrictStr,
    StringConstraints(max_length=32),
    AfterValidator(_phone),
    WithJsonSchema(
        {
            "type": "string",
            "maxLength": 32,
            "format": MOBILE_NUMBER_FORMAT,
            "description": "A valid mobile number: +47… (or 00 and a country code), or eight digits "
            "starting with 4 or 9.",
        }
    ),
]
CallbackUrl = Annotated[
    StrictStr,
    StringConstraints(max_length=2000),
    _ABSOLUTE_HTTP_URL,
    WithJsonSchema(
        {"type": "string", "maxLength": 2000, "format": "uri", "pattern": jsonschema.HTTP_URL_PATTERN}
    ),
]


class _Wire(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class Party(_Wire):
    """The payer (always) or a line's receiver (when not the payer). A known customer is named by
    `customerNumber`; anyone else needs `lastName` or `companyName`, and `emails` or `phoneNumbers`."""

    model_config = ConfigDict(
        json_schema_extra={
            "anyOf": [
                jsonschema.given("customerNumber"),
                {
                    "allOf": [
                        jsonschema.any_given("lastName", "companyName", minLength=1),
                        jsonschema.any_given("emails", "phoneNumbers", minItems=1),
                    ]
                },
            ],
        }
    )

    customer_number: Annotated[StrictInt, Field(ge=1, le=MAX_ID), _INTEGRAL] | None = None
    first_name: Name | None = None
    middle_name: Name | None = None
    last_name: Name | None = None
    company_name: Name | None = None
    postal_code: PostalCode | None = None
    emails: list[Email] | None = Field(default=None, max_length=20)
    phone_numbers: list[Phone] | None = Field(default=None, max_length=20)

    @model_validator(mode="after")
    def _identified(self) -> Party:
        if self.customer_number is not None:
            return self
        if not (self.last_name or self.company_name):
            raise ValueError("lastName or companyName is required unless customerNumber is given")
        if not (self.emails or self.phone_numbers):
            raise ValueError("emails or phoneNumbers is required unless customerNumber is given")
        return self


class ArticleDetail(_Wire):
    company_code: Name | None = None
    product: Code
    article_ref: Name | None = None
    article_desc: LongText | None = None
    article_category: Name | None = None


class OrderLine(_Wire):
    """One line; which product fields are required depends on `productSpecType`."""

    model_config = ConfigDict(
        json_schema_extra={
            "anyOf": [
                {
                    "properties": {"productSpecType": {"const": kind.value}},
                    "allOf": [jsonschema.given(name) for name in fields],
                }
                for kind, fields in REQUIRED_LINE_FIELDS.items()
            ],
        }
    )

    product_spec_type: ProductSpecType
    product_spec_code: Code | None = None
    product_spec_no: Number | None = None
    product: Code | None = None
    quantity: Annotated[StrictInt, Field(ge=1, le=1_000_000), _INTEGRAL] = 1
    unit_price: Money | None = None
    article_detail: ArticleDetail | None = None
    receiver: Party | None = None

    @model_validator(mode="after")
    def _has_the_fields_of_its_type(self) -> OrderLine:
        missing = [
            name
            for name in REQUIRED_LINE_FIELDS[self.product_spec_type]
            if getattr(self, _snake(name)) is None
        ]
        if missing:
            article = "an" if self.product_spec_type.value[0] in "aeiou" else "a"
            raise ValueError(f"{' and '.join(missing)} required for {article} {self.product_spec_type} line")
        return self


def _snake(camel: str) -> str:
    return "".join(f"_{char.lower()}" if char.isupper() else char for char in camel)


class RegisterOrderRequest(_Wire):
    """`POST /v1/client/order`: a customer's purchase, registered as `preliminary`."""

    model_config = ConfigDict(
        json_schema_extra=jsonschema.all_or_none_given("marketingCouponCode", "marketingCouponNumber")
    )

    external_order_id: ExternalOrderId | None = Field(
        default=None, description="Your id of the order; a repeat returns the order first registered."
    )
    order_date: EpochMillis | None = Field(
        default=None, description="When the order was placed, epoch milliseconds; now when left out."
    )
    payment_method: PaymentMethod
    order_amount: Money
    currency: Annotated[StrictStr, StringConstraints(pattern=r"^[A-Z]{3}$")]
    recurring: StrictBool = False
    prepaid: StrictBool = False
    marketing_coupon_code: Name | None = None
    marketing_coupon_number: Name | None = None
    payer: Party
    order_lines: list[OrderLine] = Field(min_length=1, max_length=1000)

    @model_validator(mode="before")
    @classmethod
    def _storable(cls, data: Any) -> Any:
        try:
            where = _unstorable_path(data, "")
        except _TooDeep as deep:
            raise PydanticCustomError(
                "too_deep",
                "the JSON nests deeper than {depth} levels (at {where}).",
                {"depth": MAX_DEPTH, "where": deep.path},
            ) from None
        if where is not None:
            raise PydanticCustomError(
                "string_unstorable",
                "strings cannot contain NUL characters or unpaired surrogates (found at {where}).",
                {"where": where},
            )
        return data

    @model_validator(mode="after")
    def _coupon_pair(self) -> RegisterOrderRequest:
        if (self.marketing_coupon_code is None) != (self.marketing_coupon_number is None):
            raise ValueError("marketingCouponCode and marketingCouponNumber go together")
        return self


class RegisteredOrder(BaseModel):
    order_id: int = Field(serialization_alias="orderId")


class OrderStatusItem(BaseModel):
    order_id: int = Field(serialization_alias="orderId", description="ConnectID order id")
    external_order_id: str | None = Field(serialization_alias="externalOrderId")
    order_time: int = Field(serialization_alias="orderTime", description="Epoch milliseconds.")
    order_status: OrderStatus = Field(serialization_alias="orderStatus")
    order_amount: WireMoney = Field(serialization_alias="orderAmount")
    customer_number: int | None = Field(serialization_alias="customerNumber")


class OrderStatusList(BaseModel):
    orders: list[OrderStatusItem]


class OrderLineState(BaseModel):
    product_id: str | None = Field(serialization_alias="productId")
    description: str | None
    invoice_number: int | None = Field(serialization_alias="invoiceNumber")
    invoice_time: int | None = Field(serialization_alias="invoiceTime", description="Epoch milliseconds.")
    invoice_line_amount: WireMoney | None = Field(serialization_alias="invoiceLineAmount")
    invoice_status: str = Field(serialization_alias="invoiceStatus", description="notInvoiced, invoiced")
    delivery_status: str = Field(
        serialization_alias="deliveryStatus", description="waiting, delivered, cancelled"
    )


class OrderDetailsItem(BaseModel):
    order_id: int = Field(serialization_alias="orderId")
    external_order_id: str | None = Field(serialization_alias="externalOrderId")
    order_time: int = Field(serialization_alias="orderTime")
    order_status: OrderStatus = Field(serialization_alias="orderStatus")
    order_amount: WireMoney = Field(serialization_alias="orderAmount")
    order_lines: list[OrderLineState] = Field(serialization_alias="orderLines")


class OrderDetailsList(BaseModel):
    orders: list[OrderDetailsItem]


class SearchOrderRequest(BaseModel):
    """`POST /v1/order/status`: one of `orderId` or `externalOrderId`, never both."""

    model_config = ConfigDict(
        populate_by_name=True,
        extra="forbid",
        json_schema_extra=jsonschema.exactly_one_given("orderId", "externalOrderId"),
    )

    order_id: Annotated[StrictInt, Field(ge=1, le=MAX_ID), _INTEGRAL] | None = Field(
        default=None, alias="orderId"
    )
    external_order_id: ExternalOrderId | None = Field(default=None, alias="externalOrderId")

    @model_validator(mode="after")
    def _exactly_one(self) -> SearchOrderRequest:
        if (self.order_id is None) == (self.external_order_id is None):
            raise ValueError("give orderId or externalOrderId, not both and not neither")
        return self


class FulfillmentRequest(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="forbid")

    order_id: Annotated[StrictInt, Field(ge=1, le=MAX_ID), _INTEGRAL] = Field(alias="orderId")
    callback_url: CallbackUrl | None = Field(
        default=None,
        alias="callbackUrl",
        description="Called with GET and `fulfillmentStatus=success|failed` once the outcome is known, "
        "with Standard Webhooks signature headers over the request's raw query string exactly as sent.",
    )


class FulfillmentResponse(BaseModel):
    fulfillment_status: FulfilmentStatus = Field(serialization_alias="fulfillmentStatus")
    order_id: int = Field(serialization_alias="orderId")
    error_message: str | None = Field(serialization_alias="errorMessage")


class CapiError(BaseModel):
    """Errors of the purchase API: the kind of error and a message naming the field at fault."""

    exception_type: str = Field(serialization_alias="exceptionType")
    error_message: str = Field(serialization_alias="errorMessage")


class OAuthErrorBody(BaseModel):
    error: str
    error_description: str


# The product catalogue file (`orderdesk products import FILE`)

CatalogCode = Annotated[StrictStr, StringConstraints(min_length=1, max_length=100, pattern=r"^[^\x00|]*$")]


class ProductEntry(BaseModel):
    """One product of the file; `article` entries name the article's product code in `product`."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")

    product_spec_type: ProductSpecType
    product: CatalogCode | None = None
    product_spec_code: CatalogCode | None = None
    product_spec_no: Annotated[StrictInt, Field(ge=0, le=MAX_ID)] | None = None
    unit_price: Money
    description: Annotated[StrictStr, StringConstraints(max_length=500, pattern=r"^[^\x00]*$")] | None = None

    def missing_fields(self) -> list[str]:
        required = REQUIRED_LINE_FIELDS[self.product_spec_type]
        # An order's article line carries articleDetail.product; the catalogue holds that code.
        names = ["product"] if required == ("articleDetail",) else list(required)
        values = {
            "product": self.product,
            "productSpecCode": self.product_spec_code,
            "productSpecNo": self.product_spec_no,
        }
        return [name for name in names if values[name] is None]

    def new_product(self) -> NewProduct:
        return NewProduct(
            catalog_key=catalog_key(
                self.product_spec_type, self.product, self.product_spec_code, self.product_spec_no
            ),
            spec_type=self.product_spec_type,
            product=self.product,
            spec_code=self.product_spec_code,
            spec_no=self.product_spec_no,
            unit_price=self.unit_price,
            description=self.description,
        )


class ProductFile(BaseModel):
    model_config = ConfigDict(extra="ignore")

    products: list[ProductEntry] = Field(max_length=1_000_000)


def parse_products(document: Any) -> list[NewProduct]:
    """The products of an import file, or InvalidInput naming each entry at fault."""
    try:
        parsed = ProductFile.model_validate(document)
    except ValidationError as error:
        errors: dict[str, list[str]] = {}
        for item in error.errors():
            where = ".".join(str(part) for part in item["loc"]) or "$"
            errors.setdefault(where, []).append(item["msg"])
        raise InvalidInput(errors) from error
    problems = {
        f"products.{index}": [f"{' and '.join(missing)} required for the {entry.product_spec_type} product"]
        for index, entry in enumerate(parsed.products)
        if (missing := entry.missing_fields())
    }
    if problems:
        raise InvalidInput(problems)
    return [entry.new_product() for entry in parsed.products]
