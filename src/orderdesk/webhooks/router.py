"""HTTP routes of webhook subscriptions, the same for both kinds of owner: notification creators under
`/notifications/api/v1/webhooks`, data-order users under `/api/v1/rs-order/user/webhooks`. Each
route knows only the owner its dependency found in the token.

No `from __future__ import annotations` here: the routes are made in a function, and FastAPI reads
their annotations at run time, where the owner dependency made in that function is only local."""

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Path, Request, Response

from orderdesk.auth.principals import DataUser, ServiceOwner
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
from orderdesk.webhooks.models import Owner, OwnerKind, Subscription
from orderdesk.webhooks.schemas import (
    CreatedSubscriptionExt,
    RotatedSecretExt,
    SubscriptionExt,
    SubscriptionListExt,
    SubscriptionRequest,
    TestEventExt,
)

NOTIFICATIONS_PREFIX = "/notifications/api/v1/webhooks"
DATA_ORDERS_PREFIX = "/api/v1/rs-order/user/webhooks"

SubscriptionIdPath = Annotated[UUID, Path(alias="id", description="The id of the webhook subscription.")]


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


def subscription_router(prefix: str, owner_of: Callable[..., Awaitable[Owner]], tag: str) -> APIRouter:
    """The subscription routes under `prefix`, for the owner `owner_of` finds in the request."""
    router = APIRouter(prefix=prefix, tags=[tag])
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
        body: SubscriptionRequest,
        owner: OwnerDep,
        database: DatabaseDep,
        now: NowDep,
        policy: OutboundPolicyDep,
        base_url: PublicBaseUrlDep,
    ) -> Response:
        """Events of the chosen types about what the caller owns are posted to `url`, signed by the
        Standard Webhooks specification with the `secret` in the answer (shown only now)."""
        created, secret = await service.subscribe(
            database,
            owner,
            url=body.url,
            events=body.events,
            description=body.description,
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

    return router


notification_webhooks = subscription_router(
    NOTIFICATIONS_PREFIX, _organisation, "Webhooks (notification orders)"
)
data_order_webhooks = subscription_router(DATA_ORDERS_PREFIX, _data_user, "Webhooks (data orders)")
