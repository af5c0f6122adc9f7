"""The rules of which customer a payer is."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from orderdesk.purchases.models import NewCustomer, OrderStatus, PaymentMethod, StoredOrder
from orderdesk.purchases.rules.customers import (
    customer_sort_key,
    identity_key,
    named_customer,
    new_customer,
)


def make_order(client_id: str = "shop", **payer: Any) -> StoredOrder:
    return StoredOrder(
        order_id=1,
        client_id=client_id,
        status=OrderStatus.CONFIRMED,
        payment_method=PaymentMethod.INVOICE,
        amount=Decimal(149),
        currency="NOK",
        prepaid=False,
        payer=payer,
        failure_reason=None,
        processing_errors=0,
        callback_url=None,
    )


def test_identity_key__emails__the_first_trimmed_and_lower_cased() -> None:
    payer = {"emails": [" Ola@Example.COM ", "other@example.com"], "phoneNumbers": ["+4799999999"]}

    assert identity_key(payer) == "email:ola@example.com"


@pytest.mark.parametrize("phone", ["99999999", "+4799999999", "999 99 999"])
def test_identity_key__phone_only__the_first_number_normalised(phone: str) -> None:
    assert identity_key({"emails": [], "phoneNumbers": [phone, "+4741111111"]}) == "phone:+4799999999"


def test_identity_key__phone_not_normalisable__kept_as_given() -> None:
    assert identity_key({"phoneNumbers": ["12"]}) == "phone:12"


def test_named_customer__number_given__that_number() -> None:
    assert named_customer({"customerNumber": 42, "emails": ["ola@example.com"]}) == 42


def test_named_customer__none_given__none() -> None:
    assert named_customer({"emails": ["ola@example.com"]}) is None


def test_new_customer__payer__names_and_lower_cased_email_and_the_payer_as_details() -> None:
    payer: dict[str, Any] = {
        "firstName": "Ola",
        "lastName": "Nordmann",
        "companyName": "Nordmann AS",
        "emails": ["Ola@Example.com "],
    }

    assert new_customer(payer) == NewCustomer("ola@example.com", "Ola", "Nordmann", "Nordmann AS", payer)


def test_new_customer__no_email__none() -> None:
    assert new_customer({"lastName": "Nordmann", "phoneNumbers": ["+4799999999"]}).email is None


def test_customer_sort_key__named_customers_first_then_by_client_and_identity() -> None:
    orders = [
        make_order("shop-b", emails=["a@example.com"]),
        make_order("shop-a", emails=["z@example.com"]),
        make_order("shop-z", customerNumber=7),
        make_order("shop-a", phoneNumbers=["+4799999999"]),
    ]

    keys = [customer_sort_key(order) for order in sorted(orders, key=customer_sort_key)]

    assert keys == [
        ("", ""),
        ("shop-a", "email:z@example.com"),
        ("shop-a", "phone:+4799999999"),
        ("shop-b", "email:a@example.com"),
    ]
