"""HTTP routes of webhook subscriptions, the same for both kinds of owner: notification creators under
`/notifications/api/v1/webhooks`, data-order users under `/api/v1/rs-order/user/webhooks`. Each
route knows only the owner its dependency found in the token.

No `from __future__ import annotations` here: the routes are made in a function, and FastAPI reads
their annotations at run time, where the owner dependency made in that function is only local."""

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Annotated, Any, cast
from urllib.parse import urlencode
from uuid import UUID

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from orderdesk.auth.principals import DataUser, ServiceOwner
from orderdesk.core import jsonschema
from orderdesk.core.errors import InvalidInput
from orderdesk.settings import WebhookSettings
from orderdesk.web.deps import (
    DatabaseDep,
    NowDep,
    OutboundPolicyDep,
    PublicBaseUrlDep,
    get_data_user,
    get_service_owner,
    part_of,
)
from orderdesk.web.problems import openapi_responses
from orderdesk.web.wire import json_response
from orderdesk.webhooks import service
from orderdesk.webhooks.errors import SubscriptionDisabled, SubscriptionNotFound, TooManySubscriptions
from orderdesk.webhooks.models import Attempt, AttemptOutcome, Owner, OwnerKind, Subscription
from orderdesk.webhooks.rules import (
    CURSOR_PATTERN,
    DELIVERIES_PAGE_SIZE,
    MAX_DELIVERIES_PAGE_SIZE,
    MAX_MESSAGE_ID_LENGTH,
    deliveries_cursor,
)
from orderdesk.webhooks.schemas import (
    CreatedSubscriptionExt,
    DataOrderSubscriptionRequest,
    DeliveryExt,
    DeliveryListExt,
    NotificationSubscriptionRequest,
    RotatedSecretExt,
    SubscriptionExt,
    SubscriptionListExt,
    SubscriptionRequest,
    TestEventExt,
)

NOTIFICATIONS_PREFIX = "/notifications/api/v1/webhooks"
DATA_ORDERS_PREFIX = "/api/v1/rs-order/user/webhooks"

SubscriptionIdPath = Annotated[UUID, Path(alias="id", description="The id of the webhook subscription.")]
PageSizeQuery = Annotated[
    int,
    Query(
        alias="pageSize",
        ge=1,
        le=MAX_DELIVERIES_PAGE_SIZE,
        description=f"Attempts per page, 1 to {MAX_DELIVERIES_PAGE_SIZE}.",
    ),
]
CursorQuery = Annotated[
    str | None,
    Query(
        pattern=CURSOR_PATTERN,
        description="Where the page starts: the cursor in the previous page's `next` (opaque).",
    ),
]
MessageIdQuery = Annotated[
    str | None,
    Query(
        alias="messageId",
        max_length=MAX_MESSAGE_ID_LENGTH,
        pattern=jsonschema.STORABLE_PATTERN,
        description="Only the attempts of this event (its `webhook-id`).",
    ),
]
OutcomeQuery = Annotated[
    AttemptOutcome | None,
    Query(description="Only the attempts that `succeeded` (a 2xx answer) or `failed` (anything else)."),
]


async def _organisation(owner: Annotated[ServiceOwner, Depends(get_service_owner)]) -> Owner:
    return Owner(OwnerKind.ORGANISATION, owner.org)


async def _data_user(user: Annotated[DataUser, Depends(get_data_user)]) -> Owner:
    return Owner(OwnerKind.DATA_USER, user.email)


async def get_webhook_settings(request: Request) -> WebhookSettings:
    return part_of(request, WebhookSettings)


WebhookSettingsDep = Annotated[WebhookSettings, Depends(get_webhook_settings)]


def subscription_ext(subscription: Subscription) -> dict[str, Any]:
    return {
        "id": subscription.id,
        "url": subscription.url,
        "events": [event.value for event in subscription.events],
        "description": subscription.description,
        "status": subscription.state.value,
        "disabled_reason": subscription.disabled_reason,
        "disabled_at": subscription.disabled_at,
        "failing_since": subscription.failing_since,
        "created_at": subscription.created_at,
        "secret_rotated_at": subscription.secret_rotated_at,
    }


def delivery_ext(attempt: Attempt) -> DeliveryExt:
    return DeliveryExt(
        attempted_at=attempt.attempted_at,
        message_id=attempt.message_id,
        event_type=attempt.event_type.value,
        status_code=attempt.status_code,
        duration_ms=attempt.duration_ms,
        response_excerpt=attempt.response_excerpt,
        error=attempt.error,
        event_state=None if attempt.event_state is None else attempt.event_state.value,
    )


def subscription_router(
    prefix: str,
    owner_of: Callable[..., Awaitable[Owner]],
    tag: str,
    request_model: type[SubscriptionRequest],
) -> APIRouter:
    """The subscription routes under `prefix`, for the owner `owner_of` finds in the request, which
    subscribes with `request_model` (the events that owner may ask for)."""
    router = APIRouter(prefix=prefix, tags=[tag])
    SubscriptionBody = request_model
    OwnerDep = Annotated[Owner, Depends(owner_of)]
    not_found = openapi_responses(SubscriptionNotFound)

    @router.post(
        "",
        status_code=201,
        response_model=CreatedSubscriptionExt,
        responses={**openapi_responses(InvalidInput, TooManySubscriptions)},
        summary="Subscribe an endpoint to events",
    )
    async def create_subscription(
        body: SubscriptionBody,  # type: ignore[valid-type]  # a class per owner kind, read at run time
        owner: OwnerDep,
        database: DatabaseDep,
        now: NowDep,
        policy: OutboundPolicyDep,
        base_url: PublicBaseUrlDep,
    ) -> Response:
        """Events of the chosen types about what the caller owns are posted to `url`, signed by the
        Standard Webhooks specification with the `secret` in the answer (shown only now)."""
        request = cast(SubscriptionRequest, body)
        created, secret = await service.subscribe(
            database,
            owner,
            url=request.url,
            events=list(request.events),
            description=request.description,
            now=now,
            policy=policy,
        )
        answer = CreatedSubscriptionExt(**subscription_ext(created), secret=secret)
        location = f"{base_url.rstrip('/')}{prefix}/{created.id}"
        return json_response(answer, 201, headers={"Location": location})

    @router.get("", response_model=SubscriptionListExt, summary="List the caller's subscriptions")
    async def list_subscriptions(owner: OwnerDep, database: DatabaseDep) -> Response:
        found = await service.list_subscriptions(database, owner)
        return json_response(
            SubscriptionListExt(webhooks=[SubscriptionExt(**subscription_ext(s)) for s in found])
        )

    @router.get("/{id}", response_model=SubscriptionExt, responses=not_found, summary="Read a subscription")
    async def get_subscription(
        subscription_id: SubscriptionIdPath, owner: OwnerDep, database: DatabaseDep
    ) -> Response:
        found = await service.get_subscription(database, owner, subscription_id)
        return json_response(SubscriptionExt(**subscription_ext(found)))

    @router.delete(
        "/{id}",
        status_code=204,
        responses=not_found,
        summary="Delete a subscription and its undelivered events",
    )
    async def delete_subscription(
        subscription_id: SubscriptionIdPath, owner: OwnerDep, database: DatabaseDep
    ) -> Response:
        await service.unsubscribe(database, owner, subscription_id)
        return Response(status_code=204)

    @router.post(
        "/{id}/rotate-secret",
        response_model=RotatedSecretExt,
        responses=not_found,
        summary="Replace the signing secret",
    )
    async def rotate_secret(
        subscription_id: SubscriptionIdPath,
        owner: OwnerDep,
        database: DatabaseDep,
        now: NowDep,
        settings: WebhookSettingsDep,
    ) -> Response:
        """A new secret signs from now on; the previous one signs beside it for a while (24 hours by
        default), so the receiver can switch without failing a single event."""
        secret, until = await service.rotate_secret(
            database,
            owner,
            subscription_id,
            now=now,
            overlap=timedelta(seconds=settings.rotation_overlap_seconds),
        )
        return json_response(RotatedSecretExt(secret=secret, previous_secret_valid_until=until))

    @router.post(
        "/{id}/test",
        status_code=202,
        response_model=TestEventExt,
        responses={**not_found, **openapi_responses(SubscriptionDisabled)},
        summary="Send a test event",
    )
    async def send_test_event(
        subscription_id: SubscriptionIdPath, owner: OwnerDep, database: DatabaseDep, now: NowDep
    ) -> Response:
        """Queues a `webhook.ping` event, posted after the subscription's pending events; its
        attempts appear in the deliveries list."""
        message_id = await service.send_test(database, owner, subscription_id, now=now)
        return json_response(TestEventExt(message_id=message_id), 202)

    @router.get(
        "/{id}/deliveries",
        response_model=DeliveryListExt,
        responses={**not_found, **openapi_responses(InvalidInput)},
        summary="List the attempts to deliver events",
    )
    async def list_deliveries(
        subscription_id: SubscriptionIdPath,
        owner: OwnerDep,
        database: DatabaseDep,
        base_url: PublicBaseUrlDep,
        page_size: PageSizeQuery = DELIVERIES_PAGE_SIZE,
        cursor: CursorQuery = None,
        message_id: MessageIdQuery = None,
        outcome: OutcomeQuery = None,
    ) -> Response:
        """Every POST made to the subscription's URL, newest first: when, which event, what the
        endpoint answered and how long it took, and the event's state now. An event retried shows
        once per attempt, all with its `messageId`. Follow `next` for older attempts."""
        page = await service.list_deliveries(
            database,
            owner,
            subscription_id,
            page_size=page_size,
            cursor=cursor,
            message_id=message_id,
            outcome=outcome,
        )
        next_url = None
        if page.next_after is not None:
            query = {"pageSize": page_size, "cursor": deliveries_cursor(page.next_after)}
            query |= {"messageId": message_id} if message_id is not None else {}
            query |= {"outcome": outcome.value} if outcome is not None else {}
            next_url = f"{base_url.rstrip('/')}{prefix}/{subscription_id}/deliveries?{urlencode(query)}"
        return json_response(
            DeliveryListExt(deliveries=[delivery_ext(attempt) for attempt in page.attempts], next=next_url)
        )

    @router.post(
        "/{id}/enable",
        response_model=SubscriptionExt,
        responses=not_found,
        summary="Enable a disabled subscription again",
    )
    async def enable_subscription(
        subscription_id: SubscriptionIdPath, owner: OwnerDep, database: DatabaseDep
    ) -> Response:
        """A disabled subscription (its endpoint answered 410 Gone, or failed for five days) becomes
        active again, with its failures forgotten: events that happen from now on are posted to it.
        The events it lost stay `failed` (see its deliveries); nothing was queued for it while it was
        disabled. An active subscription is answered as it is."""
        enabled = await service.enable_subscription(database, owner, subscription_id)
        return json_response(SubscriptionExt(**subscription_ext(enabled)))

    return router


notification_webhooks = subscription_router(
    NOTIFICATIONS_PREFIX, _organisation, "Webhooks (notification orders)", NotificationSubscriptionRequest
)
data_order_webhooks = subscription_router(
    DATA_ORDERS_PREFIX, _data_user, "Webhooks (data orders)", DataOrderSubscriptionRequest
)
