"""Rules of a composed e-mail's attachments: the file name, the MIME types taken, where a `sasUrl` may
point (hosts, scheme, the Shared Access Signature's expiry and permission), and what a download's
answer or a relay's refusal means for the notification. Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from urllib.parse import unquote, urlsplit

from orderdesk.core.outbound import AddressPolicy, literal_address
from orderdesk.notifications.models import Attachment

AZURE_BLOB_SUFFIX = ".blob.core.windows.net"
DEFAULT_HOSTS = "*" + AZURE_BLOB_SUFFIX
SAS_MIN_VALIDITY = timedelta(minutes=15)
"""A signature must stay valid this long after the send time: the worker fetches at the send time."""
MAX_ATTACHMENTS = 20
MAX_FILENAME_LENGTH = 255

MIME_TYPES: tuple[str, ...] = (
    # Documents
    "application/pdf",
    "application/rtf",
    "application/msword",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.template",
    "application/vnd.ms-word.document.macroEnabled.12",
    "application/vnd.ms-excel",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.template",
    "application/vnd.ms-excel.sheet.macroEnabled.12",
    "application/vnd.ms-excel.sheet.binary.macroEnabled.12",
    "application/vnd.ms-powerpoint",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/vnd.openxmlformats-officedocument.presentationml.slideshow",
    "application/vnd.ms-powerpoint.presentation.macroEnabled.12",
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet",
    "application/vnd.oasis.opendocument.presentation",
    "application/vnd.ms-outlook",
    "application/vnd.ms-publisher",
    "application/vnd.visio",
    "application/vnd.ms-xpsdocument",
    "application/oxps",
    "application/onenote",
    "application/epub+zip",
    "application/json",
    "application/xml",
    # Archives
    "application/zip",
    "application/x-zip-compressed",
    "application/gzip",
    "application/x-7z-compressed",
    "application/vnd.rar",
    "application/x-rar-compressed",
    "application/x-tar",
    # Text
    "text/plain",
    "text/csv",
    "text/html",
    "text/xml",
    "text/calendar",
    "text/rtf",
    # Images
    "image/jpeg",
    "image/png",
    "image/gif",
    "image/bmp",
    "image/tiff",
    "image/webp",
    "image/svg+xml",
    "image/heic",
    "image/heif",
    "image/vnd.microsoft.icon",
    # Audio
    "audio/mpeg",
    "audio/mp4",
    "audio/aac",
    "audio/wav",
    "audio/x-wav",
    "audio/ogg",
    "audio/flac",
    "audio/x-ms-wma",
    "audio/midi",
    "audio/3gpp",
    # Video
    "video/mp4",
    "video/mpeg",
    "video/quicktime",
    "video/x-msvideo",
    "video/x-ms-wmv",
    "video/webm",
    "video/3gpp",
    "video/3gpp2",
    "video/x-matroska",
)
"""The MIME types an attachment may declare: the common office, archive, text, image, audio and video
types the original's e-mail service (Azure Communication Services) sends as attachments. Executables
and scripts are not among them."""

_NAME_CHAR = r"[^/\\\x00-\x1f\x7f]"
FILENAME_PATTERN = rf"^{_NAME_CHAR}*[^/\\.\x00-\x1f\x7f]{_NAME_CHAR}*\.[^/\\.\x00-\x1f\x7f]+$"
"""A file name with an extension (`report.pdf`): something before the last dot and something after
it, no `/` or `\\`, and no control character (it becomes a header parameter)."""
_FILENAME = re.compile(FILENAME_PATTERN)

_PORT = r"(?::(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[0-9]{1,4}))?"
_PATH = r"/[!-\"$->@-~]*"  # printable ASCII but '#' and '?'
_QUERY = r"(?:\?[!-\"$-~]*)?"  # printable ASCII but '#': no fragment
_VALUE = r"[!-\"$%'-~]"  # a query value: printable ASCII but '#' and '&'
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_HTTP = "[Hh][Tt][Tt][Pp]"
SHAPE_PATTERN = rf"^{_HTTP}[Ss]?://(?:{_LABEL}\.)*{_LABEL}{_PORT}{_PATH}{_QUERY}$"
"""Every attachment URL: absolute http(s), a host name or IPv4 address, a path, perhaps a query; printable
ASCII only, no user information, no fragment."""
_SHAPE = re.compile(SHAPE_PATTERN)


def _param(name: str, value: str) -> str:
    return rf"(?=(?:[^#]*&)?{name}={value}(?:&|$))"


def _case_free(text: str) -> str:
    return "".join(f"[{c.upper()}{c.lower()}]" if c.isalpha() else re.escape(c) for c in text)


DEFAULT_SAS_URL_PATTERN = (
    rf"^{_HTTP}[Ss]://(?:{_LABEL}\.)+{_case_free(AZURE_BLOB_SUFFIX[1:])}{_PORT}{_PATH}\?"
    + _param("sp", f"{_VALUE}*r{_VALUE}*")
    + _param("sig", f"{_VALUE}+")
    + _param("se", f"{_VALUE}+")
    + _param("sr", "b")
    + r"[!-\"$-~]*$"
)
"""The rule under the default hosts, as the OpenAPI document states it: https, a host below
blob.core.windows.net, and a query with `sp` (holding `r`), `sig`, `se` and `sr=b`. That `se` is a
time at least 15 minutes after the send time is the one part no pattern can say."""


@dataclass(frozen=True, slots=True)
class AttachmentHosts:
    """The hosts attachments may be fetched from: `host` names one, `*.domain` any host below it."""

    patterns: tuple[str, ...]

    @classmethod
    def from_text(cls, text: str) -> AttachmentHosts:
        return cls(tuple(item.strip().lower().rstrip(".") for item in text.split(",") if item.strip()))

    def allows(self, host: str) -> bool:
        host = host.lower().rstrip(".")
        for pattern in self.patterns:
            if pattern.startswith("*."):
                if host.endswith(pattern[1:]) and len(host) > len(pattern) - 1:
                    return True
            elif host == pattern:
                return True
        return False


def filename_problem(name: str) -> str | None:
    if len(name) > MAX_FILENAME_LENGTH or _FILENAME.fullmatch(name) is None:
        return (
            "The file name must have an extension and contain no '/', '\\' or control characters "
            f"(at most {MAX_FILENAME_LENGTH} characters)."
        )
    return None


def _query_values(query: str) -> dict[str, list[str]]:
    """Each parameter's values as written (not decoded): what the document's pattern looks at."""
    values: dict[str, list[str]] = {}
    for item in query.split("&"):
        name, _, value = item.partition("=")
        values.setdefault(name, []).append(value)
    return values


def parse_expiry(value: str) -> datetime | None:
    """A signature's `se`: an ISO 8601 date or date and time, UTC when it names no zone."""
    try:
        moment = datetime.fromisoformat(unquote(value))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def sas_expiries(url: str) -> list[datetime | None]:
    """Every `se` of the URL's query, parsed (None where it does not parse)."""
    return [parse_expiry(value) for value in _query_values(urlsplit(url).query).get("se", [])]


def sas_url_problems(
    url: str,
    *,
    hosts: AttachmentHosts,
    plain_http_allowed: Callable[[str], bool],
    send_time: datetime,
) -> list[str]:
    """Why `url` may not name an attachment to be fetched at `send_time` (empty: it may).

    `plain_http_allowed(host)` says whether the host may be reached over plain http. A host below
    blob.core.windows.net needs a whole signature (`sp` with `r`, `sig`, `se`, `sr=b`), as the original
    asks; other hosts need none (a server of the operator's own may not use signatures), but what a URL
    does carry of one is checked alike."""
    if _SHAPE.fullmatch(url) is None:
        return ["The sasUrl must be an absolute https URL of printable characters, without a fragment."]
    parts = urlsplit(url)
    host = parts.hostname or ""
    problems: list[str] = []
    if not hosts.allows(host):
        allowed = ", ".join(hosts.patterns) or "none"
        problems.append(f"The sasUrl's host is not one attachments are fetched from (allowed: {allowed}).")
    if parts.scheme.lower() != "https" and not plain_http_allowed(host):
        problems.append("The sasUrl must use https.")
    query = _query_values(parts.query)
    if host.lower().endswith(AZURE_BLOB_SUFFIX):
        missing = [name for name in ("sp", "sig", "se", "sr") if not any(query.get(name, []))]
        if missing:
            problems.append(f"The sasUrl lacks the signature parameters {', '.join(missing)}.")
        if "sr" in query and "b" not in query["sr"]:
            problems.append("The sasUrl's signature must be for a blob (sr=b).")
    if "sp" in query and not any("r" in value for value in query["sp"]):
        problems.append("The sasUrl's signature must grant read permission (sp with r).")
    for expiry in (parse_expiry(value) for value in query.get("se", [])):
        if expiry is None:
            problems.append("The sasUrl's expiry (se) is not a date and time.")
        elif expiry < send_time + SAS_MIN_VALIDITY:
            problems.append(
                "The sasUrl's signature expires (se) less than 15 minutes after the requested send time."
            )
    return problems


def plain_http_inside(policy: AddressPolicy) -> Callable[[str], bool]:
    """Plain http only to a literal address inside the operator's allowed networks (a storage
    emulator, tests): a name could resolve elsewhere by the time the file is fetched, and a public
    address is no place for a file sent in clear."""

    def check(host: str) -> bool:
        address = literal_address(host)
        return address is not None and any(
            address.version == network.version and address in network for network in policy.allowed
        )

    return check


class DownloadVerdict(StrEnum):
    """What a download's answer means for its e-mail."""

    RETRY = "retry"
    INVALID = "invalid"


def download_verdict(status_code: int) -> DownloadVerdict | None:
    """None for a 2xx answer; a 5xx or 429 may pass, so try again; anything else (a 4xx, a redirect,
    which is not followed) says the URL does not give the file."""
    if 200 <= status_code < 300:
        return None
    if status_code >= 500 or status_code in (408, 429):
        return DownloadVerdict.RETRY
    return DownloadVerdict.INVALID


_SIZE_WORDS = re.compile(r"size|too (?:big|large|much)|exceed", re.IGNORECASE)
_MAILBOX_FULL = re.compile(r"\b5\.2\.2\b|mailbox full|quota", re.IGNORECASE)


def is_size_refusal(error: str | None) -> bool:
    """A relay's permanent refusal that says the message is too large: 552 or 5.3.4 with words of
    size, not a full mailbox (5.2.2), which is the recipient's."""
    if not error or _MAILBOX_FULL.search(error):
        return False
    return (error.startswith("552") or "5.3.4" in error) and bool(_SIZE_WORDS.search(error))


def attachment_errors(
    attachments: Sequence[Attachment],
    *,
    prefix: str,
    hosts: AttachmentHosts,
    outbound: AddressPolicy,
    send_time: datetime,
) -> dict[str, list[str]]:
    """Each attachment field (`{prefix}[i].sasUrl` …) whose value this service's settings refuse: the
    hosts, plain http, the signature. The wire model has already checked the formats."""
    errors: dict[str, list[str]] = {}
    plain_http = plain_http_inside(outbound)
    for index, attachment in enumerate(attachments):
        field = f"{prefix}[{index}]"
        problems = sas_url_problems(
            attachment.url, hosts=hosts, plain_http_allowed=plain_http, send_time=send_time
        )
        refused = outbound.url_problem(attachment.url)
        if refused is not None:
            problems.append(refused)
        if problems:
            errors[f"{field}.sasUrl"] = problems
        if attachment.mime_type not in MIME_TYPES:
            errors[f"{field}.mimeType"] = [f"The MIME type {attachment.mime_type!r} is not taken."]
        problem = filename_problem(attachment.filename)
        if problem is not None:
            errors[f"{field}.filename"] = [problem]
    return errors
