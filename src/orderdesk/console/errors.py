"""The console's domain errors."""

from __future__ import annotations

from http import HTTPStatus

from orderdesk.core.errors import DomainError


class OperatorNotFound(DomainError):
    """No operator has this e-mail address."""

    status = HTTPStatus.NOT_FOUND
    code = "OPERATOR-NOT-FOUND"


class OperatorExists(DomainError):
    """An operator with this e-mail address exists already."""

    status = HTTPStatus.CONFLICT
    code = "OPERATOR-EXISTS"


class SignInRefused(DomainError):
    """The e-mail address or the password is wrong."""

    status = HTTPStatus.UNAUTHORIZED
    code = "SIGN-IN-REFUSED"


class SignInThrottled(DomainError):
    """Too many failed sign-ins for this account or from this address; try again later."""

    status = HTTPStatus.TOO_MANY_REQUESTS
    code = "SIGN-IN-THROTTLED"
