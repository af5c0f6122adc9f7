"""The operator console's pages on an installation with a million notifications, against the v1
status read on the same server in the same run (issue 17: pages answer within 100 ms at p95).

- `console_pages`: one PostgreSQL database seeded by the database itself with 10⁶ notifications
  (statuses and times spread over the last 24 hours, orders of mixed sizes and one of 100 000
  recipients expanded by the worker's code), 10⁵ orders of each family, the per-minute counts the
  chart reads, two worker heartbeats and two provider errors; then `GET` of each console page in
  PAGES and of `GET …/orders/{id}/status`, one request at a time from one keep-alive client each,
  taking turns round by round. A page that answers 404 (built on another branch, not merged yet) is
  reported as not built.

`python -m bench console_pages` runs it alone (printing, not writing BENCHMARKS.md).
"""

from __future__ import annotations

import re
import statistics
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from tempfile import TemporaryDirectory
from uuid import UUID

import httpx
from sqlalchemy import text

from bench.common import expanded_email_order, fresh_database, percentile
from bench.http import LARGE_ORDER, SMALL_ORDER, _orderdesk, _token
from orderdesk.console.models import Role
from orderdesk.console.service import add_operator, reset_password
from orderdesk.core.db import Database

PAGES = ("/console/", "/console/orders")
NOTIFICATIONS = 1_000_000
ORDERS = 100_000
"""Of each family."""
ROUNDS = 3
REQUESTS = 100
WARMUP = 10
TARGET_P95_MS = 100.0
_API = "/notifications/api/v1/orders"
_OPERATOR = "bench@example.org"
_PASSWORD = "a password for the benchmark"

# The seed, made by the database itself: through the API a million notifications would take an hour,
# and the pages' reads are what is measured. `:now` is the time the run started (cast: asyncpg infers no
# type for a parameter in arithmetic).
_NOTIFICATION_ORDERS = text(
    """
    INSERT INTO notification_order (
        id, creator, senders_reference, requested_send_at, created_at, notification_channel,
        sending_time_policy, recipients, email_template, sms_template, processing_status,
        status_changed_at, due_at, order_type)
    SELECT md5('bench-order-' || n)::uuid, 'org' || (n % 40), 'bench-' || n, at, at,
           CASE WHEN n % 5 = 0 THEN 'Sms' ELSE 'Email' END, 'Anytime',
           '[{"emailAddress": "r@example.com"}]'::json,
           CASE WHEN n % 5 = 0 THEN NULL ELSE '{"fromAddress": "bench@example.com", "subject": "Bench",
                "body": "A message", "contentType": "Plain"}'::json END,
           CASE WHEN n % 5 = 0 THEN '{"senderNumber": "Bench", "body": "A message"}'::json END,
           status, at,
           CASE WHEN status = 'Registered' THEN CAST(:now AS timestamptz) + (n % 48) * interval '1 hour'
                ELSE at END,
           CASE WHEN n % 7 = 0 THEN 'Reminder' ELSE 'Notification' END
    FROM (
        SELECT n, CAST(:now AS timestamptz) - random() * interval '24 hours' AS at,
               CASE WHEN n % 100 < 70 THEN 'Completed' WHEN n % 100 < 86 THEN 'Processed'
                    WHEN n % 100 < 94 THEN 'Registered' WHEN n % 100 < 97 THEN 'Cancelled'
                    ELSE 'SendConditionNotMet' END AS status
        FROM generate_series(1, :orders) AS n
    ) AS generated
    """
)
# Skewed towards the first orders (power of a uniform draw): a few orders of thousands of
# notifications, most of a handful. Mostly delivered; a few percent failed, waiting or being sent.
_EMAILS = text(
    """
    INSERT INTO notification_email (
        id, notification_order_id, to_address, status, status_changed_at, expires_at, due_at, attempts)
    SELECT gen_random_uuid(), md5('bench-order-' || (k + CASE WHEN k % 5 = 0 THEN 1 ELSE 0 END))::uuid,
           'r' || n || '@example.com', status, at, at + interval '48 hours',
           CASE WHEN status = 'New' AND n % 2 = 0 THEN CAST(:now AS timestamptz) + interval '10 minutes'
                ELSE at END, 1
    FROM (
        SELECT n, 1 + floor(power(random(), 3) * (:orders - 2))::int AS k,
               CAST(:now AS timestamptz) - random() * interval '24 hours' AS at, random() AS r
        FROM generate_series(1, :count) AS n
    ) AS drawn,
    LATERAL (SELECT CASE WHEN r < 0.72 THEN 'Delivered' WHEN r < 0.90 THEN 'Succeeded'
                         WHEN r < 0.95 THEN 'Failed_Bounced' WHEN r < 0.97 THEN 'Failed_TTL'
                         WHEN r < 0.99 THEN 'New' ELSE 'Sending' END AS status) AS chosen
    """
)
_SMS = text(
    """
    INSERT INTO notification_sms (
        id, notification_order_id, mobile_number, status, status_changed_at, expires_at, due_at,
        attempts, anytime)
    SELECT gen_random_uuid(), md5('bench-order-' || (5 * k))::uuid, '+4790' || lpad(n::text, 6, '0'),
           status, at, at + interval '48 hours',
           CASE WHEN status = 'New' AND n % 2 = 0 THEN CAST(:now AS timestamptz) + interval '10 minutes'
                ELSE at END, 1, true
    FROM (
        SELECT n, 1 + floor(power(random(), 3) * (:orders / 5 - 1))::int AS k,
               CAST(:now AS timestamptz) - random() * interval '24 hours' AS at, random() AS r
        FROM generate_series(1, :count) AS n
    ) AS drawn,
    LATERAL (SELECT CASE WHEN r < 0.75 THEN 'Delivered' WHEN r < 0.90 THEN 'Accepted'
                         WHEN r < 0.96 THEN 'Failed_Undelivered' WHEN r < 0.99 THEN 'New'
                         ELSE 'Sending' END AS status) AS chosen
    """
)
# The large order is being sent: all but its last 5 000 have gone out within the last hour.
_LARGE_ORDER_SENT = text(
    """
    UPDATE notification_email
    SET status = 'Delivered', status_changed_at = CAST(:now AS timestamptz) - random() * interval '1 hour'
    WHERE id IN (SELECT id FROM notification_email WHERE notification_order_id = :order_id
                 ORDER BY id LIMIT :sent)
    """
)
_MINUTES = text(
    """
    INSERT INTO notification_result_minute (epoch_minute, channel, shard, sent, failed)
    SELECT floor(extract(epoch FROM status_changed_at) / 60)::int, channel, shard,
           count(*) FILTER (WHERE status IN ('Delivered', 'Succeeded', 'Accepted')),
           count(*) FILTER (WHERE status LIKE 'Failed%')
    FROM (
        SELECT status_changed_at, 'email' AS channel, status, abs(hashtext(id::text)) % 4 AS shard
        FROM notification_email WHERE status NOT IN ('New', 'Sending')
        UNION ALL
        SELECT status_changed_at, 'sms', status, abs(hashtext(id::text)) % 4
        FROM notification_sms WHERE status NOT IN ('New', 'Sending')
    ) AS results
    GROUP BY 1, 2, 3
    """
)
_DATA_ORDERS = text(
    """
    INSERT INTO data_order (
        owner, label, status, status_changed_at, created_at, expires_at, files_count, files_size,
        percent_completed, files_in_error, available_files, waiting_for_user, correlation_id)
    SELECT 'user' || (n % 1000) || '@example.com', 'order-' || n,
           (ARRAY['DONE', 'DONE', 'DONE', 'DONE', 'RUNNING', 'PENDING', 'PAUSED', 'EXPIRED', 'FAILED',
                  'DONE_WITH_WARNING', 'DELETED'])[1 + n % 11],
           at, at, at + interval '7 days', 10, 10485760, 100, 0, 10, false, 'bench-' || n
    FROM (SELECT n, CAST(:now AS timestamptz) - random() * interval '30 days' AS at
          FROM generate_series(1, :orders) AS n) AS g
    """
)
_PURCHASES = text(
    """
    WITH client AS (
        INSERT INTO api_client (client_id, name, secret_hash, callback_signing_secret, created_at)
        VALUES ('bench-shop', 'bench shop', 'not a hash', 'not a secret', CAST(:now AS timestamptz))
        RETURNING client_id)
    INSERT INTO purchase_order (
        order_id, client_id, external_order_id, order_time, payment_method, order_amount, currency,
        recurring, prepaid, payer, request, status, status_changed_at, processing_errors,
        callback_attempts, created_at)
    SELECT n, client.client_id, 'ext-' || n, at, 'invoice', 149.00, 'NOK', false, false,
           '{"email": "payer@example.com"}'::json, '{}'::json,
           (ARRAY['processed', 'processed', 'processed', 'confirmed', 'preliminary', 'failed'])[1 + n % 6],
           at, 0, 0, at
    FROM client, (SELECT n, CAST(:now AS timestamptz) - random() * interval '30 days' AS at
                  FROM generate_series(1, :orders) AS n) AS g
    """
)
_WORKERS = text(
    """
    INSERT INTO worker_process (id, host, pid, started_at, last_seen_at, activity)
    SELECT gen_random_uuid(), 'worker-' || n, 1000 + n, CAST(:now AS timestamptz) - interval '3 hours',
           CAST(:now AS timestamptz) + interval '1 hour',
           json_build_object('notification-email', json_build_object(
               'doing', 'sending 500 email notifications through email-smtp',
               'since', CAST(:now_text AS text)))
    FROM generate_series(1, 2) AS n
    """
)
"""Seen an hour ahead of the run's start, so the page lists them for the whole run."""
_PROVIDER_ERRORS = text(
    """
    INSERT INTO provider_error (provider, kind, message, at) VALUES
        ('email-smtp', 'permanent', '550 5.1.1 <REDACTED>: No such user here', CAST(:now AS timestamptz)),
        ('sms-kannel', 'temporary', 'ConnectError: All connection attempts failed', CAST(:now AS timestamptz))
    """
)


async def seed(database: Database) -> tuple[UUID, UUID]:
    """The installation the pages are measured on; the small order and the large one."""
    small = await expanded_email_order(database, SMALL_ORDER, "ttd")
    large = await expanded_email_order(database, LARGE_ORDER, "ttd")
    now = datetime.now(UTC)
    others = NOTIFICATIONS - LARGE_ORDER - SMALL_ORDER
    values = {"now": now, "orders": ORDERS - 2}
    async with database.transaction() as connection:
        await connection.execute(
            _LARGE_ORDER_SENT, {"now": now, "order_id": large, "sent": LARGE_ORDER - 5_000}
        )
        await connection.execute(_NOTIFICATION_ORDERS, values)
        await connection.execute(_EMAILS, {**values, "count": others * 4 // 5})
        await connection.execute(_SMS, {**values, "count": others - others * 4 // 5})
        await connection.execute(_MINUTES)
        await connection.execute(_DATA_ORDERS, {"now": now, "orders": ORDERS})
        await connection.execute(_PURCHASES, {"now": now, "orders": ORDERS})
        await connection.execute(_WORKERS, {"now": now, "now_text": now.isoformat()})
        await connection.execute(_PROVIDER_ERRORS, {"now": now})
        await add_operator(connection, _OPERATOR, Role.VIEWER, now)
    async with database.autocommit() as connection:
        # As autovacuum leaves a table that has settled: statistics, and the visibility map that lets
        # PostgreSQL count from an index alone.
        await connection.execute(text("VACUUM ANALYZE"))
    return small, large


async def _signed_in(http: httpx.AsyncClient, database: Database) -> None:
    """Sign the client in as the seeded operator, choosing a password as at a first sign-in."""
    async with database.transaction() as connection:
        one_time = (await reset_password(connection, _OPERATOR)).one_time_password
    form = await http.get("/console/sign-in")
    await http.post(
        "/console/sign-in", data={"email": _OPERATOR, "password": one_time, "csrf_token": _csrf(form)}
    )
    form = await http.get("/console/password")
    chosen = await http.post(
        "/console/password", data={"password": _PASSWORD, "repeated": _PASSWORD, "csrf_token": _csrf(form)}
    )
    if chosen.status_code != 303:
        raise RuntimeError(f"could not sign in to the console: {chosen.status_code} {chosen.text}")


def _csrf(page: httpx.Response) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    if match is None:
        raise RuntimeError(f"no CSRF token on {page.url}: {page.status_code}")
    return match.group(1)


async def _latencies(http: httpx.AsyncClient, path: str, count: int) -> list[float] | None:
    """Milliseconds of each of `count` GETs of `path`, one after the other; None when it is 404."""
    taken = []
    for _ in range(count):
        started = time.perf_counter()
        response = await http.get(path)
        taken.append((time.perf_counter() - started) * 1000)
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise RuntimeError(f"{path} answered {response.status_code}: {response.text[:500]}")
    return taken


@dataclass
class Measured:
    """One path's latencies, per round; no rounds when the page is not built."""

    path: str
    rounds: list[list[float]] = field(default_factory=list)

    def median(self, fraction: float) -> float:
        return statistics.median(percentile(samples, fraction) for samples in self.rounds)

    def cell(self) -> str:
        if not self.rounds:
            return "not built"
        return f"p50 {self.median(0.5):.1f} ms, p95 {self.median(0.95):.1f} ms"


@dataclass(frozen=True, slots=True)
class ConsolePagesResult:
    pages: list[Measured]
    status_read: Measured
    seed_seconds: float

    @property
    def verdict(self) -> str:
        built = [page for page in self.pages if page.rounds]
        missing = [page.path for page in self.pages if not page.rounds]
        verdict = "meets" if all(page.median(0.95) < TARGET_P95_MS for page in built) else "MISSES"
        return verdict + (f" ({', '.join(missing)} not built)" if missing else "")

    def _ratios(self) -> str:
        base = self.status_read.median(0.95)
        return ", ".join(
            f"{page.path} {page.median(0.95) / base:.1f}x" if page.rounds else f"{page.path} —"
            for page in self.pages
        )

    def summary_row(self) -> str:
        pages = "; ".join(f"`{page.path}` {page.cell()}" for page in self.pages)
        return (
            f"| Console pages at {NOTIFICATIONS:,} notifications, one request at a time, 1 worker | {pages} "
            f"| {self.status_read.cell()} (v1 status read `GET …/orders/{{id}}/status`, same server) "
            f"| p95 {self._ratios()} | p95 < {TARGET_P95_MS:.0f} ms | {self.verdict} |"
        )

    def markdown(self) -> str:
        def row(measured: Measured, name: str) -> str:
            if not measured.rounds:
                return f"| {name} | not built (404) | | | |"
            p50s = ", ".join(f"{percentile(samples, 0.5):.1f}" for samples in measured.rounds)
            p95s = ", ".join(f"{percentile(samples, 0.95):.1f}" for samples in measured.rounds)
            medians = f"{measured.median(0.5):.1f} ms | {measured.median(0.95):.1f} ms"
            return f"| {name} | {medians} | {p50s} | {p95s} |"

        return "\n".join(
            [
                f"### Console pages at {NOTIFICATIONS:,} notifications, one request at a time",
                "",
                "| | p50 (median of rounds) | p95 (median of rounds) | p50 per round | p95 per round |",
                "|---|---|---|---|---|",
                *(row(page, f"`GET {page.path}`") for page in self.pages),
                row(self.status_read, "`GET …/orders/{id}/status` (10 notifications)"),
                "",
                f"Console pages p95 against the status read: {self._ratios()} (target: every page under "
                f"{TARGET_P95_MS:.0f} ms at p95: {self.verdict}).",
                "",
                f"One PostgreSQL database holding {NOTIFICATIONS:,} notifications (four fifths e-mail; one"
                f" order of {LARGE_ORDER:,} recipients and one of {SMALL_ORDER} expanded by the worker's"
                " code, the rest made by the database itself: orders of mixed sizes, statuses and"
                " times spread over the last 24 hours, about 1% due and not yet sent), and"
                f" {ORDERS:,} orders of each family, the chart's per-minute counts made from the"
                f" notifications, two worker heartbeats and two provider errors; then VACUUM ANALYZE"
                f" (seeded in {self.seed_seconds:.0f} s). {ROUNDS} rounds of {REQUESTS} requests of each"
                f" path, taking turns, after {WARMUP} of each; one keep-alive httpx client per path, one"
                " request in flight, timed from send to answer. Server: `orderdesk serve --no-worker`"
                " (uvicorn, 1 worker); the console signed in as a viewer, the API with a bearer token.",
            ]
        )


async def console_pages(
    rounds: int = ROUNDS, requests: int = REQUESTS, pages: tuple[str, ...] = PAGES
) -> ConsolePagesResult:
    url, database = await fresh_database("console_pages")
    try:
        started = time.perf_counter()
        small, _large = await seed(database)
        seed_seconds = time.perf_counter() - started
        with TemporaryDirectory() as folder:
            home = Path(folder).resolve()
            async with (
                _orderdesk(home, url) as base_url,
                httpx.AsyncClient(base_url=base_url, timeout=60) as console,
                httpx.AsyncClient(
                    base_url=base_url, headers={"Authorization": f"Bearer {_token(home)}"}, timeout=60
                ) as api,
            ):
                await _signed_in(console, database)
                status = Measured(f"{_API}/{small}/status")
                measured = [Measured(path) for path in pages]
                kinds = [(api, status), *((console, page) for page in measured)]
                built = [
                    (http, page)
                    for http, page in kinds
                    if await _latencies(http, page.path, WARMUP) is not None
                ]
                for index in range(rounds):
                    for http, page in built if index % 2 == 0 else reversed(built):
                        samples = await _latencies(http, page.path, requests)
                        assert samples is not None
                        page.rounds.append(samples)
    finally:
        await database.dispose()
    return ConsolePagesResult(pages=measured, status_read=status, seed_seconds=seed_seconds)
