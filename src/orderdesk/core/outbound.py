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
import functools
import ipaddress
import re
import socket
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import aiohttp
import httpx
from aiohttp.abc import AbstractResolver, ResolveResult
from yarl import URL

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


class _GuardedResolver(AbstractResolver):
    """Resolves each new connection's host once and hands aiohttp only the addresses the policy
    permits, which it then connects to. TLS still names the host (SNI and the certificate check use
    the URL's host), and so does the Host header: only the socket's peer is pinned."""

    def __init__(self, policy: AddressPolicy) -> None:
        self._policy = policy

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        addresses = await resolve(host, port)  # OSError: aiohttp reports a failed look-up
        permitted = [address for address in addresses if self._policy.permits(address)]
        if not permitted:
            raise TargetRefused(f"{host} resolves to {', '.join(map(str, addresses))}: not called")
        return [
            ResolveResult(
                hostname=host,
                host=str(address),
                port=port,
                family=socket.AF_INET6 if address.version == 6 else socket.AF_INET,
                proto=socket.IPPROTO_TCP,
                flags=socket.AI_NUMERICHOST,
            )
            for address in permitted
        ]

    async def close(self) -> None:
        return None


@dataclass
class OutboundClient:
    """GET and POST with an overall deadline (connect, send, headers and the whole body), the answer
    read up to `max_answer_bytes`, through the guard. One client per worker; calls may run
    concurrently. Its connections are opened on first use, in the event loop that uses them.

    aiohttp carries the calls: with its C parser a webhook post (one event per request) costs about
    a fifth of the CPU time it took through httpx's pure-Python stack, which a large order's events
    feel."""

    policy: AddressPolicy
    max_answer_bytes: int = 64 * 1024
    max_connections: int = 100
    ssl_context: ssl.SSLContext | None = None
    """Certificates trusted for https (default: the system's); the name in the URL is verified."""
    _session: aiohttp.ClientSession | None = field(init=False, default=None)

    def _opened(self) -> aiohttp.ClientSession:
        if self._session is None:
            connector = aiohttp.TCPConnector(
                resolver=_GuardedResolver(self.policy),
                use_dns_cache=False,  # every new connection resolves (and is checked) again
                ssl=self.ssl_context or True,
                limit=self.max_connections,
                keepalive_timeout=5.0,
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                cookie_jar=aiohttp.DummyCookieJar(),  # no state carried from one answer to the next call
                auto_decompress=False,  # only the first bytes are kept: nothing to inflate
                trust_env=False,  # no proxy from the environment
                timeout=aiohttp.ClientTimeout(total=None),  # the overall deadline is the call's own
            )
        return self._session

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
            problem = self.policy.url_problem(url)  # aiohttp does not ask the resolver about addresses
            if problem is not None:
                raise TargetRefused(problem)
            async with asyncio.timeout(deadline_seconds):
                return await self._send(method, url, content, headers, truncate)
        except TimeoutError as error:
            raise OutboundFailure(f"no complete answer within {deadline_seconds:g} s") from error
        except OutboundFailure:
            raise
        except Exception as error:  # whatever the endpoint or its URL does, there is no answer
            raise OutboundFailure(f"{type(error).__name__}: {error}"[:500]) from error

    async def _send(
        self, method: str, url: str, content: bytes | None, headers: Mapping[str, str] | None, truncate: bool
    ) -> Answer:
        async with self._opened().request(
            method, _wire_url(url), data=content, headers=headers, allow_redirects=False
        ) as response:
            chunks: list[bytes] = []
            room = self.max_answer_bytes
            while chunk := await response.content.read(room + 1):
                if len(chunk) > room:
                    if not truncate:
                        raise AnswerTooLarge(f"the answer is larger than {self.max_answer_bytes} bytes")
                    chunks.append(chunk[:room])
                    break
                chunks.append(chunk)
                room -= len(chunk)
            return Answer(response.status, b"".join(chunks))

    async def aclose(self) -> None:
        """Hangs up every connection, calls in flight included (they end as failures)."""
        if self._session is not None:
            await self._session.close()


@functools.lru_cache(maxsize=1024)
def _wire_url(url: str) -> URL:
    """`url` as it goes on the wire: percent-encoded by httpx's rules, which encode only what a URL
    may not hold as is and keep the client's own escapes (`%7E` stays `%7E`: a pre-signed URL still
    verifies), the host in its IDNA form. Parsed once per URL, not per call."""
    return URL(str(httpx.URL(url)), encoded=True)


def query_as_sent(url: str) -> bytes:
    """The query string of `url` exactly as `OutboundClient.get` puts it on the request line: what a
    signature over a GET's query must cover."""
    return _wire_url(url).raw_query_string.encode()


def refused_fields(policy: AddressPolicy, urls: Sequence[tuple[str, str | None]]) -> dict[str, list[str]]:
    """The fields (name, URL) whose URL names an address outbound calls may not reach, with why."""
    problems: dict[str, list[str]] = {}
    for name, url in urls:
        problem = policy.url_problem(url) if url else None
        if problem is not None:
            problems.setdefault(name, []).append(problem)
    return problems
