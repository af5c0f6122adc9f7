"""What the OpenAPI document says about the API as a whole: its description (the three order families,
how to authenticate to each, their error bodies) and a description of every tag its operations carry."""

from __future__ import annotations

from typing import Any

DESCRIPTION = """
orderdesk takes orders for work that happens later and reports their status. Three families of
orders share one engine; each keeps the contract of the service it follows, and each has its own
credentials: a token made for one family is refused with 401 by the others.

- **Notification orders** (`/notifications/api/v1`): e-mail and SMS to many recipients, now or at a
  set time, with the API of [Altinn Notifications][altinn].
- **Data orders** (`/api/v1/rs-order`): catalogue files staged for download in sub-orders, with the API
  of [REGARDS rs-order][regards].
- **Purchase orders** (`/capi/v1`): a customer's purchase carried through fulfilment, with the client
  API of [Connect/ConnectID][connect].

[altinn]: https://docs.altinn.studio/notifications/
[regards]: https://regardsoss.github.io/
[connect]: https://doc.mediaconnect.no/doc/ConnectID/v1/api/order.html

## Authentication

- **Notification orders**: a bearer token with the scope `altinn:serviceowner/notifications.create`,
  the claim `urn:altinn:org` and the audience `orderdesk:notifications`, or a Platform Access Token of
  a platform issuer in the `PlatformAccessToken` header. `orderdesk token --org ORG` prints a bearer
  token (`--platform --org ORG` a Platform Access Token) for a server started on the same home.
  Composed e-mail needs the scope `altinn:serviceowner/notifications.composedemail.create`
  (`orderdesk token --org ORG --scope …`), the support look-up `altinn:notifications.support.admin`,
  and delivery reports a token of their own: `orderdesk token --org ORG --scope
  orderdesk:notifications/deliveryreports.write`.
- **Data orders**: a bearer token of a user, with the claim `email` and the audience
  `orderdesk:rs-order`: `orderdesk token --user EMAIL`. The links of a metalink file carry an order
  token (`orderToken`) instead and need no bearer token.
- **Purchase orders**: a client system is registered once with `orderdesk clients add NAME`, which
  prints its `client_id` and `client_secret`; `POST /oauth/token` with them (HTTP Basic,
  `grant_type=client_credentials`) gives an access token for the `/capi/v1/client/…` paths. A logged-in
  customer reads their own orders at `/capi/v1/order/status` with a token of the audience
  `orderdesk:capi-user` (`orderdesk token --user EMAIL --api purchases`).

In production, tokens of external issuers are trusted through `ORDERDESK_AUTH_TRUSTED_KEYS` (and
`ORDERDESK_AUTH_PLATFORM_ISSUERS`, `ORDERDESK_AUTH_AUDIENCES`); `orderdesk token` signs with a key kept in
the server's home and is meant for development.

## Requests and errors

Bodies are JSON; a field a request does not define is refused with 400 naming its path, where the
originals ignore it. The notification and data-order APIs answer errors as RFC 9457 problem details
(`application/problem+json`) whose `errors` name each offending field and whose `traceId` is also in
the server's log (where an operation says so, its 404 has an empty body, as in the original); the
purchase API answers `{"exceptionType", "errorMessage"}` as the original does,
and `POST /oauth/token` the errors of RFC 6749.

## Webhooks

Instead of polling, a client can have orderdesk post every status change of what it owns to an
endpoint of its own. A notification creator subscribes with `POST /notifications/api/v1/webhooks`
(events `notification.status_changed`, `order.status_changed`), a data-order user with
`POST /api/v1/rs-order/user/webhooks` (`dataorder.status_changed`, `dataorder.files_available`),
each with its usual token and the body `{"url", "events", "description"}`. The answer (201) holds the
signing secret (`whsec_…`), shown only then; `POST …/webhooks/{id}/test` queues a `webhook.ping`
event to try the endpoint. Each owner sees only its own subscriptions (another's is a 404).

- **Signed** by the [Standard Webhooks][standard-webhooks] specification, so that a receiver verifies
  with an off-the-shelf library (`Webhook(secret).verify(body, headers)` in Python's
  `standardwebhooks`): each POST carries `webhook-id`, `webhook-timestamp` (seconds since 1970, of
  that attempt) and `webhook-signature` (`v1,` and the base64 HMAC-SHA256 of `id.timestamp.body`).
  The body is `{"type", "timestamp", "data"}` (the notification events' `data`, field by field: this
  document's `webhooks` section). Verify the raw body as it came, and refuse a timestamp
  far from your own clock (the libraries allow five minutes), so that a captured POST cannot be replayed.
- **At least once, with a stable id.** An event may arrive more than once (a retry after an answer
  that was lost, a worker that stopped mid-delivery), always with the same `webhook-id`: drop repeats
  by that id. Answer 2xx as soon as the event is stored; each POST has 15 seconds.
- **In order per subscription.** A subscription's events are posted one at a time, in the order the
  changes happened: the next waits until the previous one was delivered or given up. The changes of
  one notification or order always arrive in order; changes of different ones committed at the same
  moment may arrive either way round. Subscriptions do not wait for each other.
- **Retried for about three days.** Any answer other than 2xx, or none, is tried again after a delay
  that grows (5 seconds, doubling, at most 12 hours); an event still failing three days after it
  happened is marked `failed`, and the next one is posted. `GET …/webhooks/{id}/deliveries` lists
  every attempt, newest first, with what the endpoint answered and each event's state.
- **Disabled after five days failing, or at once on 410.** A subscription whose every attempt failed
  for five days, or whose endpoint answered `410 Gone`, is disabled with the reason (`status`,
  `disabledReason`); the events it still had are marked `failed` and no new ones are queued for it.
  `POST …/webhooks/{id}/enable` makes it active again; what it lost stays failed (see its deliveries).
- **Secret rotation.** `POST …/webhooks/{id}/rotate-secret` answers a new secret; for 24 hours every
  POST carries two signatures, one per secret, so the receiver can switch at any moment in that time.
- **https only**, except towards the operator's own networks (`ORDERDESK_OUTBOUND_ALLOWED_NETWORKS`),
  which may be reached over plain http. The host name is resolved at each POST, and loopback,
  private, link-local and cloud-metadata addresses are refused unless they lie in those networks;
  redirects are not followed.

The times are the defaults; the operator may change them (`ORDERDESK_WEBHOOKS_…`).

[standard-webhooks]: https://www.standardwebhooks.com/

## Links

This reference is also at [`/redoc`](/redoc) (reading) and [`/docs`](/docs) (trying requests); the
document itself is [`/openapi.json`](/openapi.json). `GET /health/live` and `GET /health/ready` tell
whether the service is up and can do its work, and `GET /metrics` serves its Prometheus metrics.
"""

TAGS: list[dict[str, Any]] = [
    {"name": "Health", "description": "Whether the service is up and can do its work; no credentials."},
    {
        "name": "Notification orders (v1)",
        "description": "Altinn Notifications v1: place e-mail, SMS and channel-choosing orders for many "
        "recipients, read them, their status and their notifications, and cancel them before they start.",
    },
    {
        "name": "Notification orders",
        "description": "The current generation (`/future`): order chains (a notification and its reminders, "
        "each with an optional send condition), idempotent by `idempotencyId`; composed e-mail with "
        "attachments.",
    },
    {
        "name": "Instant orders",
        "description": "One-time codes and the like: handed to the e-mail or SMS provider before the answer, "
        "at any hour, and stored only then.",
    },
    {
        "name": "Shipments and status feed",
        "description": "One order's delivery manifest by shipment id, the organisation's status feed of "
        "finished orders, and the notifications sent for a Dialogporten dialog or transmission.",
    },
    {
        "name": "Support look-up",
        "description": "For support staff (scope `altinn:notifications.support.admin`): every "
        "organisation's notifications to one person or organisation.",
    },
    {
        "name": "Delivery reports",
        "description": "Where providers report what became of a message: Kannel's signed dlr-url, and a "
        "webhook for e-mail providers (a token with the delivery-reports scope).",
    },
    {
        "name": "Webhooks (notification orders)",
        "description": "Subscribe an endpoint to `notification.status_changed` and "
        "`order.status_changed`: every status change of the caller's notifications and orders is "
        "posted to it, signed by the Standard Webhooks specification, retried for about three days, "
        "in the order the changes happened. Each subscription lists its delivery attempts, and one "
        "disabled for failing can be enabled again (see Webhooks above). The events' payloads are in "
        "the document's `webhooks` section.",
    },
    {
        "name": "Data orders: basket",
        "description": "REGARDS rs-order: a user's basket of catalogue selections, before it is ordered.",
    },
    {
        "name": "Data orders",
        "description": "REGARDS rs-order: place an order from the basket or from queries, follow its "
        "staging, download its files (one by one, as a zip, or through a metalink), pause, resume, retry, "
        "restart or delete it.",
    },
    {
        "name": "Webhooks (data orders)",
        "description": "Subscribe an endpoint to `dataorder.status_changed` and "
        "`dataorder.files_available` for the caller's data orders; signed, retried, listed and "
        "enabled again as the notification webhooks are.",
    },
    {
        "name": "Purchase orders: OAuth2",
        "description": "The client-credentials token endpoint of the purchase API (clients are made with "
        "`orderdesk clients add`).",
    },
    {
        "name": "Purchase orders: client mode",
        "description": "Connect/ConnectID client mode: a client system registers a purchase, fulfils it and "
        "reads its status (`preliminary → confirmed → processed`, or `failed`).",
    },
    {
        "name": "Purchase orders: user mode",
        "description": "A logged-in customer lists their orders and searches one by `orderId` or "
        "`externalOrderId`.",
    },
]
"""In the order ReDoc and Swagger UI show them: notifications, data orders, purchases."""

LICENSE_INFO = {"name": "Apache-2.0", "identifier": "Apache-2.0"}
