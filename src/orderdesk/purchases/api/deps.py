"""FastAPI dependencies of the purchase routes: rate limits, the token endpoint's guards and signing
key, built once by `create_app` (see orderdesk.web.deps)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from fastapi import Depends, Request

from orderdesk.core.bounded_executor import BoundedExecutor
from orderdesk.purchases.ratelimit import FailedAttempts, RateLimiter
from orderdesk.web.deps import part_of


@dataclass(frozen=True, slots=True)
class TokenIssuing:
    """What `POST /oauth/token` signs with: the key (read once) and the issuer it names."""

    signing_key: PrivateKeyTypes
    issuer: str


@dataclass(frozen=True, slots=True)
class PurchaseParts:
    rate_limiter: RateLimiter
    token_attempts: FailedAttempts
    secret_checks: BoundedExecutor
    """Threads that check client secrets (scrypt), off the event loop."""
    issuing: TokenIssuing


async def get_rate_limiter(request: Request) -> RateLimiter:
    return part_of(request, PurchaseParts).rate_limiter


async def get_token_attempts(request: Request) -> FailedAttempts:
    return part_of(request, PurchaseParts).token_attempts


async def get_secret_checks(request: Request) -> BoundedExecutor:
    return part_of(request, PurchaseParts).secret_checks


async def get_token_issuing(request: Request) -> TokenIssuing:
    return part_of(request, PurchaseParts).issuing


RateLimiterDep = Annotated[RateLimiter, Depends(get_rate_limiter)]
TokenAttemptsDep = Annotated[FailedAttempts, Depends(get_token_attempts)]
SecretChecksDep = Annotated[BoundedExecutor, Depends(get_secret_checks)]
TokenIssuingDep = Annotated[TokenIssuing, Depends(get_token_issuing)]
