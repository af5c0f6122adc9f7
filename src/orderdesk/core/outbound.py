"""Every HTTP call orderdesk makes on a client's behalf (send conditions, callbacks, later attachments
and webhooks): an overall deadline, a bounded answer, and a guard against server-side request forgery.

The guard resolves the host when the call is made, refuses loopback, private, link-local, CGNAT,
multicast, reserved and unspecified addresses (cloud metadata addresses among them) unless an operator
allowed their network, and connects to the very address it checked: no second look-up, so a name
cannot resolve to a public address for the check and to an internal one for the connection. A refused
target is a failed call; no connection is ever opened to it. Redirects are not followed.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import ipaddress
import re
import socket
import ssl
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote_to_bytes, urlsplit

import httpcore
import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_NAT64 = (ipaddress.IPv6Network("64:ff9b::/96"), ipaddress.IPv6Network("64:ff9b:1::/48"))
# inet_aton's spellings of an IPv4 address: 2130706433, 0x7f.1, 127.1, 0177.0.0.1 ...
_IPV4_SPELLING = re.compile(r"[0-9a-fA-FxX.]+")


class OutboundFailure(Exception):
    """An outbound call that did not get an answer: refused, timed out, too large, or no connection."""


class TargetRefused(OutboundFailure):
    """The target's address is not one orderdesk calls for a client."""


class AnswerTooLarge(OutboundFailure):
    """The answer grew past the client's `max_answer_bytes`: reading stopped there."""


def parse_networks(text: str) -> tuple[IPNetwork, ...]:
    """Comma-separated CIDRs (a bare address is a network of one); ValueError names a bad entry."""
    networks: list[IPNetwork] = []
    for item in text.split(","):
        if item.strip():
            try:
                networks.append(ipaddress.ip_network(item.strip(), strict=False))
            except ValueError as error:
                raise ValueError(f"{item.strip()!r} is not a network (CIDR) or an address") from error
    return tuple(networks)


def literal_address(host: str) -> IPAddress | None:
    """The address a URL's host names literally, in any spelling the resolver accepts; None for a name.

    IPv4 spellings are read as the C resolver reads them (`2130706433`, `0x7f.1`, `127.1`), since that
    is what a connection would reach."""
    host = host.strip("[]")
    try:
        return ipaddress.ip_address(host.split("%", 1)[0])  # an IPv6 zone (`fe80::1%eth0`) reaches fe80::1
    except ValueError:
        pass
    candidate = host.removesuffix(".")
    if not _IPV4_SPELLING.fullmatch(candidate):
        return None
    try:
        return ipaddress.IPv4Address(socket.inet_aton(candidate))
    except OSError:
        return None


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries to (IPv4-mapped, 6to4, NAT64), which is what it reaches."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if any(address in network for network in _NAT64):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def _public(address: IPAddress) -> bool:
    # is_global is False for loopback, private, link-local (169.254.169.254), CGNAT, unique local
    # (fd00:ec2::254), unspecified and the other special-purpose blocks; some multicast and reserved
    # blocks count as global, so those are refused by name.
    return address.is_global and not address.is_multicast and not address.is_reserved


@dataclass(frozen=True, slots=True)
class AddressPolicy:
    """Which addresses outbound calls may reach: public ones, and any in `allowed` (the operator's)."""

    allowed: tuple[IPNetwork, ...] = ()
    public: bool = True
    """Whether public addresses are permitted too (False: only the operator's `allowed` networks, as
    for a plain-http webhook, which may not leave them)."""

    @classmethod
    def from_text(cls, networks: str) -> AddressPolicy:
        return cls(parse_networks(networks))

    def only_allowed(self) -> AddressPolicy:
        """This policy without public addresses: only the operator's own networks."""
        return AddressPolicy(self.allowed, public=False)

    def allows_network_of(self, address: IPAddress) -> bool:
        """Whether `address` is inside one of the operator's networks."""
        return self._allowed(address)

    def _allowed(self, address: IPAddress) -> bool:
        return any(address.version == network.version and address in network for network in self.allowed)

    def permits(self, address: IPAddress) -> bool:
        if self._allowed(address):
            return True
        if not self.public:
            return False
        embedded = _embedded_ipv4(address) if isinstance(address, ipaddress.IPv6Address) else None
        if embedded is not None:  # judged by where it leads (NAT64 is how IPv6-only hosts reach IPv4)
            return self._allowed(embedded) or _public(embedded)
        return _public(address)

    def url_problem(self, url: str) -> str | None:
        """Why a URL that names an address literally may not be called (None: it may, or it names a
        host whose addresses are only known when the call is made)."""
        try:
            host = urlsplit(url).hostname
        except ValueError:
            return None
        address = literal_address(host) if host else None
        if address is None or self.permits(address):
            return None
        return (
            f"The URL names the address {address}, which orderdesk does not call: loopback, private, "
            "link-local, shared, multicast and reserved addresses are refused."
        )


async def resolve(host: str, port: int) -> list[IPAddress]:
    """The addresses `host` names (itself when it is an address), each once; OSError when it names none."""
    literal = literal_address(host)
    if literal is not None:
        return [literal]
    infos = await asyncio.get_running_loop().getaddrinfo(
        host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
    )
    found: list[IPAddress] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if address not in found:
            found.append(address)
    return found


@dataclass(frozen=True, slots=True)
class Answer:
    status_code: int
    body: bytes

    @property
    def is_success(self) -> bool:
        return 200 <= self.status_code < 300


class _GuardedNetwork(httpcore.AsyncNetworkBackend):
    """Resolves each new connection's host once, checks every address, connects to a permitted one.

    TLS still names the host (httpcore passes the URL's host for SNI and certificate checks), and the
    Host header comes from the URL, so only the socket's peer is pinned."""

    def __init__(self, policy: AddressPolicy) -> None:
        self._policy = policy
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await self._resolve(host, port)
        permitted = [address for address in addresses if self._policy.permits(address)]
        if not permitted:
            raise TargetRefused(f"{host} resolves to {', '.join(map(str, addresses))}: not called")
        failure: Exception | None = None
        for address in permitted:
            try:
                return await self._inner.connect_tcp(
                    str(address), port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as error:
                failure = error
        assert failure is not None
        raise failure

    async def _resolve(self, host: str, port: int) -> list[IPAddress]:
        try:
            return await resolve(host, port)
        except OSError as error:
            raise httpcore.ConnectError(f"cannot resolve {host}: {error}") from error

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        raise TargetRefused("unix sockets are not called")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


@dataclass
class OutboundClient:
    """GET with an overall deadline (connect, send, headers and the whole body), the answer read up to
    `max_answer_bytes`, through the guard. One client per worker; calls may run concurrently."""

    policy: AddressPolicy
    max_answer_bytes: int = 64 * 1024
    max_connections: int = 100
    ssl_context: ssl.SSLContext | None = None
    """Certificates trusted for https (default: the system's); the name in the URL is verified."""
    _http: httpx.AsyncClient = field(init=False)
    _pool: httpcore.AsyncConnectionPool = field(init=False)

    def __post_init__(self) -> None:
        transport = httpx.AsyncHTTPTransport(retries=0)
        # httpx has no public way to choose the network backend of its pool: give it a pool of our own,
        # built the way httpx builds its default one (proxies are not used: trust_env is off).
        transport._pool = self._pool = httpcore.AsyncConnectionPool(
            ssl_context=self.ssl_context or httpx.create_ssl_context(),
            max_connections=self.max_connections,
            max_keepalive_connections=20,
            keepalive_expiry=5.0,
            network_backend=_GuardedNetwork(self.policy),
        )
        self._http = httpx.AsyncClient(transport=transport, follow_redirects=False, trust_env=False)

    async def get(
        self, url: str, *, deadline_seconds: float, headers: Mapping[str, str] | None = None
    ) -> Answer:
        """The answer to a GET of `url`; OutboundFailure (TargetRefused among them) when there is none
        within the deadline. An answer larger than the limit is a failure too."""
        return await self._call("GET", url, None, headers, deadline_seconds, truncate=False)

    async def post(
        self, url: str, *, content: bytes, deadline_seconds: float, headers: Mapping[str, str] | None = None
    ) -> Answer:
        """The answer to a POST of `content` to `url`; OutboundFailure when there is none within the
        deadline. A larger answer than the limit is cut there (its status code is the answer): a
        receiver's chatty 200 is still a 200."""
        return await self._call("POST", url, content, headers, deadline_seconds, truncate=True)

    async def _call(
        self,
        method: str,
        url: str,
        content: bytes | None,
        headers: Mapping[str, str] | None,
        deadline_seconds: float,
        *,
        truncate: bool,
    ) -> Answer:
        try:
            async with asyncio.timeout(deadline_seconds):
                return await self._send(method, url, content, headers or {}, deadline_seconds, truncate)
        except TimeoutError as error:
            raise OutboundFailure(f"no complete answer within {deadline_seconds:g} s") from error
        except OutboundFailure:
            raise
        except Exception as error:  # whatever the endpoint or its URL does, there is no answer
            raise OutboundFailure(f"{type(error).__name__}: {error}"[:500]) from error

    async def _send(
        self,
        method: str,
        url: str,
        content: bytes | None,
        headers: Mapping[str, str],
        deadline_seconds: float,
        truncate: bool,
    ) -> Answer:
        if method == "POST" and content is not None:
            return await self._post_to_pool(url, content, headers, deadline_seconds)
        async with self._http.stream(
            method, url, content=content, headers=headers, timeout=deadline_seconds
        ) as response:
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > self.max_answer_bytes:
                    if not truncate:
                        raise AnswerTooLarge(f"the answer is larger than {self.max_answer_bytes} bytes")
                    chunks.append(chunk[: len(chunk) - (size - self.max_answer_bytes)])
                    break
                chunks.append(chunk)
            return Answer(response.status_code, b"".join(chunks))

    async def _post_to_pool(
        self, url: str, content: bytes, headers: Mapping[str, str], deadline_seconds: float
    ) -> Answer:
        """A POST straight through the guarded connection pool, without httpx's request and response
        models: webhooks post one event per request, and those layers cost a third of each post's CPU
        time. The answer is read up to the limit and cut there."""
        target, fixed = _pool_target(url)
        raw_headers = [
            *fixed,
            (b"content-length", str(len(content)).encode()),
            *((name.encode(), value.encode()) for name, value in headers.items()),
        ]
        timeouts = dict.fromkeys(("connect", "read", "write", "pool"), deadline_seconds)
        async with self._pool.stream(
            b"POST", target, headers=raw_headers, content=content, extensions={"timeout": timeouts}
        ) as response:
            chunks: list[bytes] = []
            room = self.max_answer_bytes
            async for chunk in response.aiter_stream():
                chunks.append(chunk[:room])
                room -= len(chunks[-1])
                if room <= 0:
                    break
            return Answer(response.status, b"".join(chunks))

    async def aclose(self) -> None:
        await self._http.aclose()


@functools.lru_cache(maxsize=1024)
def _pool_target(url: str) -> tuple[httpcore.URL, tuple[tuple[bytes, bytes], ...]]:
    """The pool's URL of `url` and the headers its request always has (Host, and Authorization from
    credentials written in the URL), parsed by httpx's rules (IDNA hosts, percent-encoding) once per
    URL rather than per request."""
    parsed = httpx.URL(url)
    target = httpcore.URL(
        scheme=parsed.raw_scheme, host=parsed.raw_host, port=parsed.port, target=parsed.raw_path
    )
    default_port = {b"http": 80, b"https": 443}.get(parsed.raw_scheme)
    host = parsed.raw_host if b":" not in parsed.raw_host else b"[" + parsed.raw_host + b"]"
    if parsed.port is not None and parsed.port != default_port:
        host += b":%d" % parsed.port
    fixed = [(b"host", host)]
    if parsed.userinfo:
        credentials = base64.b64encode(unquote_to_bytes(parsed.userinfo))
        fixed.append((b"authorization", b"Basic " + credentials))
    return target, tuple(fixed)


def query_as_sent(url: str) -> bytes:
    """The query string of `url` exactly as `OutboundClient.get` puts it on the request line (httpx
    percent-encodes what a URL may not hold as is): what a signature over a GET's query must cover."""
    return httpx.URL(url).query


def refused_fields(policy: AddressPolicy, urls: Sequence[tuple[str, str | None]]) -> dict[str, list[str]]:
    """The fields (name, URL) whose URL names an address outbound calls may not reach, with why."""
    problems: dict[str, list[str]] = {}
    for name, url in urls:
        problem = policy.url_problem(url) if url else None
        if problem is not None:
            problems.setdefault(name, []).append(problem)
    return problems
