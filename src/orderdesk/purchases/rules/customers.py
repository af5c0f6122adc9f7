"""The rules of which customer a payer is: named by number, or recognised by e-mail or phone."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from orderdesk.core.addresses import normalize_register_mobile_number
from orderdesk.purchases.models import NewCustomer, StoredOrder

NOT_A_CUSTOMER = "payer.customerNumber is not a customer of this client."
"""One answer for a number of another client's customer and for one that exists nowhere, so that a
client cannot learn which numbers other clients' customers have."""


def named_customer(payer: Mapping[str, Any]) -> int | None:
    """The customer number the payer gives, if any."""
    number = payer.get("customerNumber")
    return None if number is None else int(number)


def identity_key(payer: Mapping[str, Any]) -> str:
    """How a payer without a customer number is recognised: the first e-mail, else the first phone."""
    emails = payer.get("emails") or []
    if emails:
        return f"email:{str(emails[0]).strip().lower()}"
    phones = payer.get("phoneNumbers") or []
    return f"phone:{normalize_register_mobile_number(str(phones[0])) or phones[0]}"


def new_customer(payer: dict[str, Any]) -> NewCustomer:
    """The customer to create for a payer without a customer number."""
    emails = payer.get("emails") or []
    return NewCustomer(
        email=str(emails[0]).strip().lower() if emails else None,
        first_name=payer.get("firstName"),
        last_name=payer.get("lastName"),
        company_name=payer.get("companyName"),
        details=payer,
    )


def customer_sort_key(order: StoredOrder) -> tuple[str, str]:
    """Orders sorted so: those that name their customer first (they create none), then by client and
    identity, the unique key of the customers they may create."""
    if order.payer.get("customerNumber") is not None:
        return ("", "")
    return (order.client_id, identity_key(order.payer))
