"""Every domain error declares its own problem mapping, with one spelling of codes for all families."""

from __future__ import annotations

import importlib
import pkgutil
import re
from http import HTTPStatus

import pytest

import orderdesk
from orderdesk.core.errors import DomainError
from orderdesk.web.problems import problem_for

_CODE = re.compile(r"^[A-Z]+(?:-[A-Z0-9]+)*$")  # ORDER-NOT-FOUND, NOT-00001


def _domain_errors() -> list[type[DomainError]]:
    for module in pkgutil.walk_packages(orderdesk.__path__, "orderdesk."):
        if module.name.endswith(".errors"):
            importlib.import_module(module.name)
    found: list[type[DomainError]] = []
    pending = [DomainError]
    while pending:
        klass = pending.pop()
        found.append(klass)
        pending.extend(klass.__subclasses__())
    return found


def _name(error: type[DomainError]) -> str:
    return f"{error.__module__}.{error.__name__}"


@pytest.mark.parametrize("error", _domain_errors(), ids=_name)
def test_domain_error__declares_an_upper_kebab_code(error: type[DomainError]) -> None:
    assert _CODE.fullmatch(error.code)


@pytest.mark.parametrize("error", _domain_errors()[1:], ids=_name)
def test_domain_error__declares_a_client_status(error: type[DomainError]) -> None:
    assert error.status != HTTPStatus.INTERNAL_SERVER_ERROR
    assert problem_for(error).status == error.status


def test_problem_for__standard_title_of_the_status() -> None:
    class Gone(DomainError):
        status = HTTPStatus.NOT_FOUND
        code = "GONE"

    class Titled(Gone):
        title = "Gone for good"

    assert problem_for(Gone).title == "Not Found"
    assert problem_for(Gone).type.endswith("#section-15.5.5")
    assert problem_for(Titled).title == "Gone for good"
    assert problem_for(DomainError).status == 500
