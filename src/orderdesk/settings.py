"""The one settings root: environment variables prefixed ORDERDESK_ (or a .env file).

Loaded once in an entry point (CLI, test fixture) and passed down; nothing reads it at import time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

from cryptography.exceptions import UnsupportedAlgorithm
from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from orderdesk.core.outbound import AddressPolicy, parse_networks
from orderdesk.core.pem import load_public_key
from orderdesk.core.text import has_control_characters


def _new(name: str) -> AliasChoices:
    """A notification setting that only ever had its family's name: ORDERDESK_NOTIFICATIONS_<NAME>."""
    return AliasChoices(f"ORDERDESK_NOTIFICATIONS_{name}")


def _group(prefix: str) -> SettingsConfigDict:
    # populate_by_name: a field with a renamed variable (`_renamed`) is still set by its field name.
    return SettingsConfigDict(env_prefix=prefix, env_file=".env", extra="ignore", populate_by_name=True)


def _renamed(name: str) -> AliasChoices:
    """The variables of a notification worker setting: ORDERDESK_NOTIFICATIONS_<NAME>, which says the
    family it configures, and ORDERDESK_<NAME>, its name before, still read (the new one wins)."""
    return AliasChoices(f"ORDERDESK_NOTIFICATIONS_{name}", f"ORDERDESK_{name}")


class DatabaseSettings(BaseSettings):
    """Where orders live. Empty url means a SQLite file in the home."""

    model_config = _group("ORDERDESK_DATABASE_")

    url: str | None = None
    pool_size: int = Field(default=10, ge=2)
    """The most PostgreSQL connections one process opens, its API and in-process workers together
    (half for single-statement reads, half for transactions; the workers' wake-up listener takes one
    more). Size it so that every process's pool_size (+1) stays under the server's max_connections."""
    pool_timeout_seconds: float = Field(default=10.0, gt=0)
    """How long a request waits for a free pooled connection before it is answered 503."""
    echo: bool = False


class AuthSettings(BaseSettings):
    """Who may call the API: trusted issuers and the local signing key."""

    model_config = _group("ORDERDESK_AUTH_")

    local_issuer: str = "orderdesk"
    """Issuer written into tokens minted by `orderdesk token` for service owners and users."""
    trust_local_key: bool = True
    """Accept tokens signed by the key in the home (turn off in production behind a real issuer). The
    purchase API's access tokens, which `/oauth/token` signs with that key, are accepted either way."""
    trusted_keys: dict[str, str] = Field(default_factory=dict)
    """Issuer -> PEM public key (or a path to one) of external issuers; each signs bearer tokens, or
    Platform Access Tokens when it is listed in `platform_issuers`."""
    platform_issuers: list[str] = Field(default_factory=list)
    """Issuers among `trusted_keys` whose tokens are Platform Access Tokens (an organisation's short
    name, e.g. `ttd`); they are accepted only in the PlatformAccessToken header."""
    audiences: dict[str, str] = Field(default_factory=dict)
    """Token kind -> an audience its door accepts besides its own, for the tokens of external
    issuers (kinds: `service-owner`, `delivery-report`, `data-user`, `purchase-client`,
    `purchase-user`; their own audiences are `orderdesk:notifications`, `orderdesk:deliveryreports`,
    `orderdesk:rs-order`, `orderdesk:capi`, `orderdesk:capi-user`); no two kinds may share one."""
    token_ttl_seconds: int = Field(default=3600, ge=60)
    token_cache_size: int = Field(default=10_000, ge=0)

    @field_validator("trusted_keys")
    @classmethod
    def _keys_load(cls, keys: dict[str, str]) -> dict[str, str]:
        """Checked here, so that a bad key is one line naming the variable, not a traceback when the
        app is built."""
        for issuer, key in keys.items():
            try:
                load_public_key(key)
            except (OSError, ValueError, UnsupportedAlgorithm) as error:
                raise ValueError(
                    f"the key of issuer {issuer!r} is neither a PEM public key nor the path of a readable"
                    f" PEM file ({type(error).__name__})"
                ) from None
        return keys

    @model_validator(mode="after")
    def _platform_issuers_have_keys(self) -> AuthSettings:
        unknown = [issuer for issuer in self.platform_issuers if issuer not in self.trusted_keys]
        if unknown:
            raise ValueError(f"platform_issuers {unknown} have no key in trusted_keys")
        return self


class NotificationSettings(BaseSettings):
    """The notification family: defaults applied to orders, providers (used by the workers)."""

    model_config = _group("ORDERDESK_")

    default_email_from_address: str = "noreply@orderdesk.local"
    default_sms_sender: str = "orderdesk"
    email_provider: Literal["outbox", "smtp"] = "outbox"
    sms_provider: Literal["outbox", "kannel"] = "outbox"
    smtp_host: str = "localhost"
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_tls: Literal["none", "starttls", "tls"] = "none"
    kannel_sendsms_url: str | None = None
    kannel_username: str | None = None
    kannel_password: SecretStr | None = None
    kannel_timeout_seconds: float = Field(default=10.0, gt=0)
    kannel_dlr_secret: SecretStr | None = None
    """Key that signs Kannel's delivery-report URLs; unset: a key kept in HOME/kannel-dlr.key. Set it
    when the API and the workers do not share a home."""
    smtp_connections: int = Field(default=4, ge=1)
    """Persistent SMTP connections kept open per worker process."""
    smtp_timeout_seconds: float = Field(default=30.0, gt=0)
    smtp_bounce_address: str | None = None
    """Envelope sender for bounces, e.g. bounces@example.com; each message gets bounces+ID@example.com."""
    bounce_smtp_port: int | None = None
    """Port of the bounce intake (an SMTP listener in the worker); off when unset."""
    bounce_smtp_host: str = "127.0.0.1"
    """Interface the bounce intake listens on; only your own mail server should reach it."""
    public_base_url: str = "http://127.0.0.1:8080"
    """Set from the root setting of the same name (one variable): Kannel's dlr-url starts with it."""

    # The pipeline (worker loops). Their variables name the family (ORDERDESK_NOTIFICATIONS_WORKER_*,
    # _RETRY_*): the older ORDERDESK_WORKER_*/ORDERDESK_RETRY_* read like settings of every worker.
    worker_order_batch: int = Field(default=50, ge=1, validation_alias=_renamed("WORKER_ORDER_BATCH"))
    worker_dispatch_batch: int = Field(default=500, ge=1, validation_alias=_renamed("WORKER_DISPATCH_BATCH"))
    worker_concurrency: int = Field(default=20, ge=1, validation_alias=_renamed("WORKER_CONCURRENCY"))
    """Messages in flight per channel and worker process."""
    worker_lease_seconds: float = Field(default=60.0, gt=0, validation_alias=_renamed("WORKER_LEASE_SECONDS"))
    """How long a claim on an order or a batch of notifications holds without being renewed; the
    worker renews it every third of this while the work runs. A dead worker's claims are taken over
    sooner, when its heartbeat goes stale (WorkerSettings); the lease is the bound when it cannot be."""
    worker_poll_seconds: float = Field(default=1.0, gt=0, validation_alias=_renamed("WORKER_POLL_SECONDS"))
    condition_retry_delay_seconds: float = Field(default=60.0, ge=0)
    condition_timeout_seconds: float = Field(default=10.0, gt=0)
    """Overall deadline of one send-condition check (connecting, the headers and the whole answer)."""
    notification_ttl_hours: float = Field(default=48.0, gt=0)
    ttl_grace_seconds: float = Field(default=300.0, ge=0)
    sms_window_start_hour: int = Field(default=9, ge=0, le=23)
    sms_window_end_hour: int = Field(default=17, ge=1, le=24)
    sms_window_time_zone: str = "Europe/Oslo"
    retry_base_seconds: float = Field(default=10.0, gt=0, validation_alias=_renamed("RETRY_BASE_SECONDS"))
    retry_max_seconds: float = Field(default=900.0, gt=0, validation_alias=_renamed("RETRY_MAX_SECONDS"))
    throttle_default_seconds: float = Field(default=60.0, gt=0)
    email_rate_limit: float = Field(default=0.0, ge=0)
    """E-mails per second per worker process; 0 for no limit."""
    sms_rate_limit: float = Field(default=0.0, ge=0)
    dead_report_retention_hours: float = Field(default=72.0, gt=0)
    """Dead delivery reports (not applicable: unknown notification, expired, already final) are
    deleted by a worker loop this long after they came."""
    dead_report_max_rows: int = Field(default=100_000, ge=0)
    """The most dead delivery reports kept; further ones are counted (`deadLettersDropped`, a log
    warning) and not stored until retention makes room."""
    status_feed_retention_days: int = Field(
        default=90, ge=1, validation_alias=AliasChoices("ORDERDESK_NOTIFICATIONS_STATUS_FEED_RETENTION_DAYS")
    )
    """Status feed entries are deleted by a worker loop this many days after they were written."""

    # Composed e-mail (attachments fetched at send time); variables ORDERDESK_NOTIFICATIONS_ATTACHMENT_*.
    attachment_hosts: str = Field(
        default="*.blob.core.windows.net", validation_alias=_new("ATTACHMENT_HOSTS")
    )
    """Comma-separated hosts an attachment's `sasUrl` may name: `files.example.com` names one host,
    `*.example.com` any host below it. https only, except a literal IP address inside
    ORDERDESK_OUTBOUND_ALLOWED_NETWORKS (a storage emulator, tests), which may also be plain http."""
    attachment_max_bytes: int = Field(
        default=10 * 1024 * 1024, ge=1, validation_alias=_new("ATTACHMENT_MAX_BYTES")
    )
    """Largest attachment fetched; a larger one fails its e-mail as Failed_PayloadTooLarge."""
    attachment_message_max_bytes: int = Field(
        default=20 * 1024 * 1024, ge=1, validation_alias=_new("ATTACHMENT_MESSAGE_MAX_BYTES")
    )
    """Largest sum of one e-mail's attachments; more fails it as Failed_PayloadTooLarge."""
    attachment_timeout_seconds: float = Field(
        default=30.0, gt=0, validation_alias=_new("ATTACHMENT_TIMEOUT_SECONDS")
    )
    """Overall deadline of one attachment download (connecting, headers and the whole body)."""
    attachment_max_attempts: int = Field(default=3, ge=1, validation_alias=_new("ATTACHMENT_MAX_ATTEMPTS"))
    """Attempts at an e-mail whose attachment answered 5xx or not in time; then Failed_InvalidSasUrl."""
    composed_concurrency: int = Field(default=5, ge=1, validation_alias=_new("COMPOSED_CONCURRENCY"))
    """Composed e-mails in flight per worker process, in their own dispatch lane: however slow their
    attachments, plain e-mails keep their own lane."""
    composed_batch: int = Field(default=50, ge=1, validation_alias=_new("COMPOSED_BATCH"))

    instant_send_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    """Instant orders: the longest the API waits for the provider to take a message before it answers
    503 (NOT-00004). A request that finds the same idempotency id being sent waits as long for it."""

    @model_validator(mode="after")
    def _window_opens(self) -> NotificationSettings:
        if self.sms_window_start_hour >= self.sms_window_end_hour:
            raise ValueError("sms_window_start_hour must be before sms_window_end_hour")
        return self

    @model_validator(mode="after")
    def _addresses_are_header_safe(self) -> NotificationSettings:
        """These go into every message's headers or envelope: a line break would add headers."""
        for name in ("default_email_from_address", "smtp_bounce_address", "default_sms_sender"):
            value = getattr(self, name)
            if value is not None and has_control_characters(value):
                raise ValueError(f"{name} must not contain control characters such as CR or LF")
        return self


class DataOrderSettings(BaseSettings):
    """The data-order family: sub-order sizes and how many a user may hold at once."""

    model_config = _group("ORDERDESK_DATAORDER_")

    bucket_mb: int = Field(default=100, ge=1)
    """Largest sub-order, in MiB (a product is never split, so one may be larger)."""
    max_suborders_per_user: int = Field(default=2, ge=1)
    """Sub-orders a user may hold running or staged but not yet downloaded."""
    staging_lease_seconds: float = Field(default=120.0, gt=0)
    """How long a claim on a sub-order being staged holds without being renewed (renewed every
    third of this while the files are copied); a dead worker's sub-order is taken up sooner, when its
    heartbeat goes stale."""
    staging_poll_seconds: float = Field(default=1.0, gt=0)
    """How often an idle staging loop looks for sub-orders it was not woken for."""
    expiry_check_seconds: float = Field(default=60.0, gt=0)
    """How often orders past their expiry date are looked for (and their staged files removed)."""
    token_secret: SecretStr | None = None
    """Signs the order tokens in metalink links; a key file in the home when unset. Set the same
    value on every API process when several serve one database."""


class PurchaseSettings(BaseSettings):
    """The purchase-order family: rate limits per caller, fulfilment and callbacks."""

    model_config = _group("ORDERDESK_PURCHASES_")

    rate_limit_per_second: int = Field(default=100, ge=1)
    rate_limit_per_minute: int = Field(default=2000, ge=1)
    rate_limit_storage: str = "auto"
    """Where call counts are kept: `memory` (one process), `database` (the configured database,
    shared by every process on it), `redis://host:port/db`; `auto` is memory on SQLite and the
    database on PostgreSQL."""
    token_failures_per_client: int = Field(default=10, ge=1)
    """Wrong secrets `POST /oauth/token` takes for one client id within the window; beyond them every
    attempt for that id, the right secret too, is answered 429 until the window ends."""
    token_failures_per_address: int = Field(default=100, ge=1)
    """The same for all attempts from one client address (whatever client id they name)."""
    token_failure_window_seconds: int = Field(default=900, ge=1)
    """The fixed window the failures are counted in; counts live in `rate_limit_storage`."""
    token_hashing_threads: int = Field(default=2, ge=1)
    """Threads per API process that check client secrets (scrypt), off the event loop."""
    token_hashing_waiting: int = Field(default=32, ge=0)
    """Secret checks that may wait for a thread; beyond them `/oauth/token` answers 503 at once."""
    fulfilment_batch: int = Field(default=50, ge=1)
    """Confirmed orders processed in one transaction."""
    poll_seconds: float = Field(default=1.0, gt=0)
    callback_timeout_seconds: float = Field(default=10.0, gt=0)
    """Overall deadline of one callback call (connecting, the headers and the whole answer)."""
    callback_attempts: int = Field(default=8, ge=1)
    """Calls of a callback URL before it is given up (back-off doubles from the base)."""
    callback_retry_base_seconds: float = Field(default=10.0, gt=0)
    callback_retry_max_seconds: float = Field(default=3600.0, gt=0)
    callback_lease_seconds: float = Field(default=60.0, gt=0)
    """A callback claimed by a worker that went silent this long is called again by another."""


class WorkerSettings(BaseSettings):
    """Worker processes, whatever families they run: how often each says it is alive, and when the
    others take over its work. What a family's loops do is in that family's group."""

    model_config = _group("ORDERDESK_WORKER_")

    heartbeat_seconds: float = Field(default=2.0, gt=0)
    """How often a worker process records that it is alive (and what each of its loops is doing)."""
    stale_after_seconds: float = Field(default=10.0, gt=0)
    """A worker not heard from this long is taken for dead: the others take over what it had claimed
    at their next heartbeat. Keep it several heartbeats long, and the workers' clocks in step (NTP)."""
    expect_external: bool = False
    """`orderdesk serve --no-worker` with `orderdesk worker` processes elsewhere: /health/ready then
    also wants a fresh heartbeat of one of them (a server running its own workers always checks its own)."""

    @model_validator(mode="after")
    def _beats_before_stale(self) -> WorkerSettings:
        if self.stale_after_seconds < 2 * self.heartbeat_seconds:
            raise ValueError("worker stale_after_seconds must be at least twice heartbeat_seconds")
        return self


class ServerSettings(BaseSettings):
    """How `orderdesk serve` treats connections: limits a hostile client cannot stretch."""

    model_config = _group("ORDERDESK_SERVER_")

    trusted_proxies: str = ""
    """Comma-separated addresses or CIDRs of reverse proxies whose `X-Forwarded-For` and
    `X-Forwarded-Proto` are believed; empty: forwarded headers are ignored from every peer."""
    head_timeout_seconds: float = Field(default=10.0, gt=0)
    """Time a client has to send a whole request head (request line and headers), counted from the
    connection's opening or its previous response; then the connection is closed (slowloris)."""
    max_head_bytes: int = Field(default=32 * 1024, ge=1024)
    """Largest request head; a bigger one gets 431 and the connection is closed."""
    body_timeout_seconds: float = Field(default=60.0, gt=0)
    """Time a client has to send a whole request body, counted from the end of its head; then 408
    and the connection is closed (a body sent slowly would hold it for ever)."""
    keep_alive_seconds: int = Field(default=5, ge=1)
    """An idle keep-alive connection is closed after this long."""
    limit_concurrency: int = Field(default=1000, ge=1)
    """Connections and requests in progress at once per process; past it new requests get 503."""
    backlog: int = Field(default=2048, ge=1)
    """Connections the operating system queues before the server accepts them."""


class ConsoleSettings(BaseSettings):
    """The operator console at `/console/`: how long a sign-in lasts."""

    model_config = _group("ORDERDESK_CONSOLE_")

    session_hours: float = Field(default=8.0, gt=0, le=24 * 30)
    """A session ends this long after its sign-in, whatever the operator does meanwhile."""


class OutboundSettings(BaseSettings):
    """Calls orderdesk makes for clients (condition endpoints, callbacks): where they may go."""

    model_config = _group("ORDERDESK_OUTBOUND_")

    allowed_networks: str = ""
    """Comma-separated CIDRs (`10.0.0.0/8,fd12::/16`) that outbound calls may reach besides public
    addresses. Empty: only public addresses; loopback, private, link-local (cloud metadata), CGNAT,
    multicast and reserved addresses are refused."""
    max_answer_bytes: int = Field(default=64 * 1024, ge=1024)
    """Largest answer read from a condition endpoint or a callback; a larger one is a failed call."""

    @field_validator("allowed_networks")
    @classmethod
    def _networks(cls, value: str) -> str:
        parse_networks(value)  # refuse a typo at start-up rather than at the first call
        return value

    @property
    def policy(self) -> AddressPolicy:
        return AddressPolicy.from_text(self.allowed_networks)


class WebhookSettings(BaseSettings):
    """Status webhooks: how events are posted to subscribers, retried, and kept."""

    model_config = _group("ORDERDESK_WEBHOOKS_")

    timeout_seconds: float = Field(default=15.0, gt=0)
    """Overall deadline of one POST (connecting, the request, the answer's headers and body)."""
    retry_base_seconds: float = Field(default=5.0, gt=0)
    """The wait after a subscription's first failed attempt; it doubles with each further failure."""
    retry_max_seconds: float = Field(default=12 * 3600.0, gt=0)
    """No wait between attempts is longer."""
    give_up_after_seconds: float = Field(default=3 * 24 * 3600.0, gt=0)
    """An event still failing this long after it happened is marked failed, and the next is posted."""
    disable_after_seconds: float = Field(default=5 * 24 * 3600.0, gt=0)
    """A subscription whose every attempt failed for this long is disabled, with the reason."""
    rotation_overlap_seconds: float = Field(default=24 * 3600.0, gt=0)
    """After a secret is rotated, the previous one still signs (beside the new) this long."""
    in_flight: int = Field(default=16, ge=1)
    """Subscriptions posted to at once per worker process (each posts its events one at a time)."""
    per_host: int = Field(default=4, ge=1)
    """Subscriptions posted to at once per worker process whose URLs share one host."""
    batch: int = Field(default=100, ge=1)
    """Events of one subscription read (and their results written) together."""
    lease_seconds: float = Field(default=60.0, gt=0)
    """A subscription claimed by a worker that went silent this long is taken over by another."""
    poll_seconds: float = Field(default=1.0, gt=0)
    retention_days: float = Field(default=14.0, gt=0)
    """Delivered and failed events, and attempts, are deleted this long after they ended."""
    max_answer_bytes: int = Field(default=4096, ge=256)
    """Largest answer read from a subscriber: reading stops there (its excerpt is kept, the attempt
    still counts by its status code)."""


class Settings(BaseSettings):
    """Root of all settings; each family receives only its own group."""

    model_config = SettingsConfigDict(env_prefix="ORDERDESK_", env_file=".env", extra="ignore")

    home: Path = Path("./var")
    max_request_bytes: int = Field(default=4 * 1024 * 1024, ge=1024)
    """Largest request body accepted; bigger bodies get 413 before they are read."""
    public_base_url: str | None = None
    """Scheme, host, port (and path prefix) clients reach this service at: every absolute link it
    writes (`Location`, metalink and download links, Kannel's dlr-url) starts with it, never with the
    request's `Host` or forwarded headers. Unset: `orderdesk serve` uses the address it listens on,
    other processes http://127.0.0.1:8080."""
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["auto", "console", "json"] = "auto"
    """auto: readable lines on a terminal, JSON lines when the output is a file or a pipe."""
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    auth: AuthSettings = Field(default_factory=AuthSettings)
    notifications: NotificationSettings = Field(default_factory=NotificationSettings)
    dataorders: DataOrderSettings = Field(default_factory=DataOrderSettings)
    purchases: PurchaseSettings = Field(default_factory=PurchaseSettings)
    worker: WorkerSettings = Field(default_factory=WorkerSettings)
    server: ServerSettings = Field(default_factory=ServerSettings)
    outbound: OutboundSettings = Field(default_factory=OutboundSettings)
    console: ConsoleSettings = Field(default_factory=ConsoleSettings)
    webhooks: WebhookSettings = Field(default_factory=WebhookSettings)

    @model_validator(mode="after")
    def _absolute_home(self) -> Settings:
        self.home = self.home.expanduser().resolve()
        return self

    @model_validator(mode="after")
    def _one_public_base_url(self) -> Settings:
        if self.public_base_url is not None:
            self.public_base_url = _checked_base_url(self.public_base_url)
            self.notifications.public_base_url = self.public_base_url
        return self

    @property
    def links_base_url(self) -> str:
        """The base of every absolute link (see public_base_url)."""
        return self.public_base_url or self.notifications.public_base_url

    @property
    def database_url(self) -> str:
        if self.database.url:
            return self.database.url
        return f"sqlite+aiosqlite:///{self.home / 'orderdesk.db'}"

    @property
    def signing_key_path(self) -> Path:
        return self.home / "signing-key.pem"

    @property
    def dataorder_area(self) -> Path:
        """Where staged data-order files are kept."""
        return self.home / "dataorders"


def _checked_base_url(value: str) -> str:
    """An http(s) URL with a host and nothing after its path, without the trailing slash."""
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ValueError(f"public_base_url must be http(s)://host[:port][/path], not {value!r}")
    return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))
