"""The one settings root: environment variables prefixed ORDERDESK_ (or a .env file).

Loaded once in an entry point (CLI, test fixture) and passed down; nothing reads it at import time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from orderdesk.core.outbound import AddressPolicy, parse_networks


def _group(prefix: str) -> SettingsConfigDict:
    return SettingsConfigDict(env_prefix=prefix, env_file=".env", extra="ignore")


class DatabaseSettings(BaseSettings):
    """Where orders live. Empty url means a SQLite file in the home."""

    model_config = _group("ORDERDESK_DATABASE_")

    url: str | None = None
    pool_size: int = Field(default=20, ge=1)
    """Connections kept open per process for transactions (as many again may be opened for a burst,
    then closed): enough for the requests one process serves at once, or every request would open a
    connection. On PostgreSQL single-statement reads (status reads) keep a pool of this size besides."""
    echo: bool = False


class AuthSettings(BaseSettings):
    """Who may call the API: trusted issuers and the local signing key."""

    model_config = _group("ORDERDESK_AUTH_")

    local_issuer: str = "orderdesk"
    """Issuer written into tokens minted by `orderdesk token` for service owners and users."""
    trust_local_key: bool = True
    """Accept tokens signed by the key in the home (turn off in production behind a real issuer)."""
    trusted_keys: dict[str, str] = Field(default_factory=dict)
    """Issuer -> PEM public key (or a path to one). Platform Access Tokens are trusted per issuer."""
    token_ttl_seconds: int = Field(default=3600, ge=60)
    token_cache_size: int = Field(default=10_000, ge=0)


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
    """How providers reach this service for delivery reports (Kannel's dlr-url)."""

    # The pipeline (worker loops)
    worker_order_batch: int = Field(default=50, ge=1)
    worker_dispatch_batch: int = Field(default=500, ge=1)
    worker_concurrency: int = Field(default=20, ge=1)
    """Messages in flight per channel and worker process."""
    worker_lease_seconds: float = Field(default=300.0, gt=0)
    """A claimed order or notification goes back to the queue if its worker is silent this long."""
    worker_poll_seconds: float = Field(default=1.0, gt=0)
    condition_retry_delay_seconds: float = Field(default=60.0, ge=0)
    condition_timeout_seconds: float = Field(default=10.0, gt=0)
    """Overall deadline of one send-condition check (connecting, the headers and the whole answer)."""
    notification_ttl_hours: float = Field(default=48.0, gt=0)
    ttl_grace_seconds: float = Field(default=300.0, ge=0)
    sms_window_start_hour: int = Field(default=9, ge=0, le=23)
    sms_window_end_hour: int = Field(default=17, ge=1, le=24)
    sms_window_time_zone: str = "Europe/Oslo"
    retry_base_seconds: float = Field(default=10.0, gt=0)
    retry_max_seconds: float = Field(default=900.0, gt=0)
    throttle_default_seconds: float = Field(default=60.0, gt=0)
    email_rate_limit: float = Field(default=0.0, ge=0)
    """E-mails per second per worker process; 0 for no limit."""
    sms_rate_limit: float = Field(default=0.0, ge=0)

    @model_validator(mode="after")
    def _window_opens(self) -> NotificationSettings:
        if self.sms_window_start_hour >= self.sms_window_end_hour:
            raise ValueError("sms_window_start_hour must be before sms_window_end_hour")
        return self


class DataOrderSettings(BaseSettings):
    """The data-order family: sub-order sizes and how many a user may hold at once."""

    model_config = _group("ORDERDESK_DATAORDER_")

    bucket_mb: int = Field(default=100, ge=1)
    """Largest sub-order, in MiB (a product is never split, so one may be larger)."""
    max_suborders_per_user: int = Field(default=2, ge=1)
    """Sub-orders a user may hold running or staged but not yet downloaded."""
    staging_lease_seconds: float = Field(default=1800.0, gt=0)
    """How long a worker may take over one sub-order before another worker takes it up (a worker
    that died mid-copy)."""
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


class Settings(BaseSettings):
    """Root of all settings; each family receives only its own group."""

    model_config = SettingsConfigDict(env_prefix="ORDERDESK_", env_file=".env", extra="ignore")

    home: Path = Path("./var")
    max_request_bytes: int = Field(default=4 * 1024 * 1024, ge=1024)
    """Largest request body accepted; bigger bodies get 413 before they are read."""
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["auto", "console", "json"] = "auto"
    """auto: readable lines on a terminal, JSON lines when the output is a file or a pipe."""
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    auth: AuthSettings = Field(default_factory=AuthSettings)
    notifications: NotificationSettings = Field(default_factory=NotificationSettings)
    dataorders: DataOrderSettings = Field(default_factory=DataOrderSettings)
    purchases: PurchaseSettings = Field(default_factory=PurchaseSettings)
    outbound: OutboundSettings = Field(default_factory=OutboundSettings)

    @model_validator(mode="after")
    def _absolute_home(self) -> Settings:
        self.home = self.home.expanduser().resolve()
        return self

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
