"""The FastAPI application factory: routers, problem handlers, middleware and shared state."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from functools import cache
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.telemetry import TelemetryConfig
from opentelemetry import metrics, trace
from opentelemetry._logs import get_logger_provider
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import BaseRoute

from orderdesk import __version__
from orderdesk.auth.keys import load_or_create_signing_key
from orderdesk.auth.tokens import audiences_with
from orderdesk.auth.verifier import TokenVerifier
from orderdesk.console.api import router as console_router
from orderdesk.console.api.deps import ConsoleParts
from orderdesk.console.api.guard import PageInterrupted, answer_interrupted
from orderdesk.core.bounded_executor import BoundedExecutor
from orderdesk.core.clock import Clock, utcnow
from orderdesk.core.db import Database
from orderdesk.core.errors import DomainError
from orderdesk.core.pem import load_public_key
from orderdesk.core.wakeup import Wakeups
from orderdesk.dataorders.api import router as dataorders_router
from orderdesk.dataorders.api.deps import DataOrderParts
from orderdesk.dataorders.api.order_tokens import OrderTokens
from orderdesk.dataorders.api.webhook_events import router as dataorder_webhooks
from orderdesk.health import Readiness
from orderdesk.health import router as health_router
from orderdesk.metrics_router import router as metrics_router
from orderdesk.notifications.api import router as notifications_router
from orderdesk.notifications.api.deps import NotificationParts
from orderdesk.notifications.api.webhook_events import router as notification_webhook_events
from orderdesk.notifications.providers.kannel import ReportSigner
from orderdesk.notifications.service.instant import InstantProviders
from orderdesk.notifications.tasks.pipeline import email_provider, sms_provider
from orderdesk.purchases.api import router as purchases_router
from orderdesk.purchases.api.common import PREFIX as CAPI_PREFIX
from orderdesk.purchases.api.common import http_error_response as capi_http_error
from orderdesk.purchases.api.deps import PurchaseParts, TokenIssuing
from orderdesk.purchases.api.oauth import TOKEN_PATH
from orderdesk.purchases.ratelimit import FailedAttempts, RateLimiter
from orderdesk.settings import Settings
from orderdesk.web import deps, methods, problems, route_index, security
from orderdesk.web.description import DESCRIPTION, LICENSE_INFO, TAGS
from orderdesk.web.docs import install_docs
from orderdesk.web.middleware import BodySizeLimitMiddleware, TraceIdMiddleware
from orderdesk.web.observed import ObservedRequestsMiddleware
from orderdesk.webhooks.router import data_order_webhooks, notification_webhooks
from orderdesk.worker_runtime import WorkerRuntime


def build_token_verifier(settings: Settings) -> TokenVerifier:
    # `/oauth/token` signs the purchase API's access tokens with this key whatever trust_local_key
    # says: they are always verified with it; the setting decides only about the other kinds.
    own_key = load_or_create_signing_key(settings.signing_key_path).public_key()
    return TokenVerifier(
        trusted_keys={issuer: load_public_key(pem) for issuer, pem in settings.auth.trusted_keys.items()},
        local_key=own_key if settings.auth.trust_local_key else None,
        local_issuer=settings.auth.local_issuer,
        own_key=own_key,
        platform_issuers=settings.auth.platform_issuers,
        audiences=audiences_with(settings.auth.audiences),
        cache_size=settings.auth.token_cache_size,
    )


def create_app(
    settings: Settings,
    *,
    clock: Clock = utcnow,
    database: Database | None = None,
    run_workers: bool = False,
) -> FastAPI:
    """Build the API, with the worker loops running beside it when `run_workers` (`orderdesk serve`).

    The database is created from the settings unless one is given (tests share one); migrations are
    not run here (`orderdesk serve` and `orderdesk migrate` do that). An injected `clock` is the time of
    everything, rate-limit windows included; with the default each rate-limit storage keeps its own."""
    owns_database = database is None
    db = database or Database.from_url(
        settings.database_url,
        pool_size=settings.database.pool_size,
        pool_timeout=settings.database.pool_timeout_seconds,
        echo=settings.database.echo,
    )
    wakeups = Wakeups()
    window_clock = None if clock is utcnow else clock
    rate_limiter = RateLimiter.from_settings(settings.purchases, db, window_clock)
    token_attempts = FailedAttempts.from_settings(settings.purchases, db, window_clock)
    # Instant orders are sent by the API itself, through providers built as the workers build theirs.
    instant = InstantProviders(
        email=lambda: email_provider(settings.notifications, settings.home, clock),
        sms=lambda: sms_provider(settings.notifications, settings.home, clock),
    )
    secret_checks = BoundedExecutor(
        threads=settings.purchases.token_hashing_threads,
        waiting=settings.purchases.token_hashing_waiting,
        name="secret-check",
    )
    readiness = Readiness(
        workers_expected=run_workers or settings.worker.expect_external,
        stale_after=timedelta(seconds=settings.worker.stale_after_seconds),
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        workers = WorkerRuntime(settings, db, clock, wakeups) if run_workers else None
        if workers is not None:
            await workers.start()
            readiness.own_workers = workers.heartbeat.id
        try:
            yield
        finally:
            if workers is not None:
                await workers.stop()
            await rate_limiter.aclose()
            await token_attempts.aclose()
            await instant.aclose()
            secret_checks.close()
            if owns_database:
                await db.dispose()

    app = FastAPI(
        title="orderdesk",
        version=__version__,
        description=DESCRIPTION,
        openapi_tags=TAGS,
        license_info=LICENSE_INFO,
        lifespan=lifespan,
        routes=_family_routes(),
        telemetry=_telemetry(),
        # Served by install_docs with their assets from orderdesk itself, not from a CDN.
        docs_url=None,
        redoc_url=None,
    )
    install_docs(app)
    # The events orderdesk posts to subscribed endpoints: the document's `webhooks` section.
    app.webhooks.include_router(notification_webhook_events)
    app.webhooks.include_router(dataorder_webhooks)
    deps.install(
        app,
        deps.Shared(
            database=db,
            clock=clock,
            wakeups=wakeups,
            token_verifier=build_token_verifier(settings),
            outbound_policy=settings.outbound.policy,
            links_base_url=settings.links_base_url,
        ),
        # The signer here rather than on the first report: concurrent first requests raced to create the key.
        NotificationParts.build(
            settings.notifications,
            ReportSigner.from_settings(settings.notifications, settings.home),
            instant,
        ),
        DataOrderParts(
            settings=settings.dataorders,
            area=settings.dataorder_area,
            order_tokens=OrderTokens.from_settings(settings.dataorders, settings.home),
        ),
        PurchaseParts(
            rate_limiter=rate_limiter,
            token_attempts=token_attempts,
            secret_checks=secret_checks,
            # Read once: the token endpoint signs with it on every request.
            issuing=TokenIssuing(
                signing_key=load_or_create_signing_key(settings.signing_key_path),
                issuer=settings.auth.local_issuer,
            ),
        ),
        readiness,
        ConsoleParts(session_length=timedelta(hours=settings.console.session_hours)),
        settings.webhooks,
    )

    app.add_exception_handler(DomainError, problems.handle_domain_error)
    app.add_exception_handler(PageInterrupted, answer_interrupted)
    app.add_exception_handler(RequestValidationError, problems.handle_validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, problems.handle_unexpected_error)

    app.add_middleware(methods.FixedPathMethodsMiddleware, render=_http_error)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_request_bytes, render=_http_error)
    # The access log and the request metrics, inside the trace id's middleware: the access line
    # carries the request's trace id; the time covers every other layer.
    app.add_middleware(ObservedRequestsMiddleware)
    app.add_middleware(TraceIdMiddleware)
    _tidy_openapi(app)
    route_index.install(app)
    return app


_DEFERRED_PROVIDERS = frozenset({"ProxyTracerProvider", "_ProxyMeterProvider", "ProxyLoggerProvider"})
"""The OpenTelemetry API's stand-ins for a provider no SDK has configured (yet)."""


def _telemetry() -> TelemetryConfig | None:
    """FastAPI's OpenTelemetry instrumentation as it is when an SDK configured some provider before
    the app is built (`opentelemetry-instrument`); otherwise off. Left on, FastAPI asked the
    OpenTelemetry API on every request whether one had been configured since: 3 % of a status read."""
    providers = (trace.get_tracer_provider(), metrics.get_meter_provider(), get_logger_provider())
    if any(type(provider).__name__ not in _DEFERRED_PROVIDERS for provider in providers):
        return None
    return {"tracing": False, "metrics": False, "logs": False}


@cache
def _family_routes() -> list[BaseRoute]:
    """The routes of every family, included once per process and shared by every app built in it.

    FastAPI builds an included route's dependencies and models on the first request an app routes
    through it, and keeps them with that inclusion: included anew for each app, every new app paid
    that again (a few tenths of a second; most of the test suite's time under coverage). Nothing in
    them belongs to one app: dependencies reach the app's parts through the request, and orderdesk
    overrides no dependency."""
    routes = APIRouter()
    # Before the families (`/user/webhooks` is no data-order path's parameter), and without the
    # order-id binding: their `{id}` names a subscription.
    routes.include_router(notification_webhooks)
    routes.include_router(data_order_webhooks)
    # Every line logged while a family's route runs names the order its path names (`order_id`):
    # their routers' route class (OrderLoggedRoute) binds it.
    for family_router in (
        health_router,
        metrics_router,
        notifications_router,
        dataorders_router,
        purchases_router,
        console_router,
    ):
        routes.include_router(family_router)
    return routes.routes


async def _http_error(request: Request, error: Exception) -> Response:
    """An unknown path or a wrong method: the purchase API answers in its own error shape. A wrong
    method's `Allow` lists the methods of every route serving the path, not only the first's."""
    if isinstance(error, StarletteHTTPException) and error.status_code == 405:
        allowed = methods.route_methods(request.app).allowed(request.url.path)
        if allowed:
            error = methods.method_not_allowed(allowed)
    if request.url.path.startswith(CAPI_PREFIX) and isinstance(error, StarletteHTTPException):
        return capi_http_error(error)
    return await problems.handle_http_error(request, error)


def _error_body(path: str, status: int) -> dict[str, Any] | None:
    """The body of the errors `_http_error` and the middleware give on `path`: RFC 6750 bodies for
    the purchase API's 401 and 403, its own `{exceptionType, errorMessage}` for the others. The token
    endpoint documents its 401 itself and has no 403 (a client is authenticated or not)."""
    if path == TOKEN_PATH and status in (401, 403):
        return None
    if path.startswith(CAPI_PREFIX):
        name = "OAuthErrorBody" if status in (401, 403) else "CapiError"
        return {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}}
    schema = {"$ref": "#/components/schemas/ProblemDetails"}
    return {problems.PROBLEM_MEDIA_TYPE: {"schema": schema}}


def _tidy_openapi(app: FastAPI) -> None:
    """Serve the generated OpenAPI document as problems.tidy_openapi corrects it."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = security.add_security_to_openapi(app, generate())
            app.openapi_schema = problems.tidy_openapi(document, _error_body)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
