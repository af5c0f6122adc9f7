"""What never reaches a log: the values of credential-like query parameters (a metalink's
`orderToken` opens a download for seven days) and the password of a URL's userinfo. And what never
reaches a page shown to every operator: the e-mail addresses and phone numbers in a provider's error."""

from __future__ import annotations

import re
from urllib.parse import unquote_plus, urlsplit, urlunsplit

REDACTED = "REDACTED"

_SENSITIVE_NAMES = frozenset({"sig", "signature", "code", "key", "apikey", "auth", "authorization"})
"""Parameter names that carry a credential although they do not say so."""
_SENSITIVE_PARTS = ("token", "secret", "password", "passwd", "credential", "session")
"""A parameter whose name contains one of these is taken for a credential (orderToken, access_token,
client_secret, X-Amz-Credential …): a false positive costs a log reader one value, a miss leaks it."""


def is_sensitive_parameter(name: str) -> bool:
    """Whether a query parameter named `name` (any case, `-` or `_` or neither) holds a credential."""
    folded = unquote_plus(name).lower().replace("-", "").replace("_", "")
    return folded in _SENSITIVE_NAMES or any(part in folded for part in _SENSITIVE_PARTS)


def redacted_query(query: str) -> str:
    """`query` with the value of every credential-like parameter replaced by REDACTED; the other
    parameters are kept as they were sent (not re-encoded), so the log shows what the client sent."""
    if not query:
        return query
    kept: list[str] = []
    for item in query.split("&"):
        name, equals, _value = item.partition("=")
        kept.append(f"{name}={REDACTED}" if equals and is_sensitive_parameter(name) else item)
    return "&".join(kept)


def redacted_url(url: str) -> str:
    """`url` without the password of its userinfo and with its query redacted (`redacted_query`);
    the fragment is dropped, as a server never sees it."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return REDACTED  # not a URL we can take apart: it may hold anything
    netloc = parts.netloc
    if parts.password is not None:
        user, _, host = netloc.rpartition("@")
        netloc = f"{user.partition(':')[0]}:{REDACTED}@{host}"
    return urlunsplit((parts.scheme, netloc, parts.path, redacted_query(parts.query), ""))


_EMAIL_ADDRESS = re.compile(r"[^\s<>()\[\],;:'\"@]+@[^\s<>()\[\],;:'\"@]+")
_PHONE_NUMBER = re.compile(r"\+?\d(?: ?\d){7,}")
"""Eight digits or more (single spaces allowed between): a phone number, or a number as personal (an
identity number). SMTP's reply codes (550 5.1.1), dates and times are kept."""


def redacted_addresses(text: str) -> str:
    """`text` with every e-mail address and phone number replaced by REDACTED: a relay's refusal
    names the recipient, and a provider's error is shown to operators who need the reason, not whom."""
    return _PHONE_NUMBER.sub(REDACTED, _EMAIL_ADDRESS.sub(REDACTED, text))
