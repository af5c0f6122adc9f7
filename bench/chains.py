"""Order chains of the current API generation against the v1 intake, on one orderdesk server.

- `chain_intake`: `POST …/future/orders` (an e-mail and two SMS reminders: three orders, a chain row
  and the idempotency check) against `POST …/orders/email` (one order), both as fast as they answer.
"""

from __future__ import annotations

from contextlib import AsyncExitStack
from functools import partial
from pathlib import Path
from tempfile import TemporaryDirectory

from bench.common import Comparison, fresh_database
from bench.http import (
    ROUNDS,
    SECONDS,
    _median,
    _orderdesk,
    _taking_turns,
    _token,
    _unanswered,
    _warm_up,
    ensure_wrk,
    wrk,
    wrk_flags,
)

_V1_EMAIL = "/notifications/api/v1/orders/email"
_CHAINS = "/notifications/api/v1/future/orders"


async def chain_intake(rounds: int = 2 * ROUNDS, seconds: int = SECONDS) -> Comparison:
    """A chain with two reminders per request against a v1 e-mail order per request. Twice the usual
    rounds: on this shared machine one 5-second round of either may come out a third slower than its
    neighbours, which moved the median of three by as much as a tenth."""
    ensure_wrk()
    url, database = await fresh_database("chain_intake")
    await database.dispose()
    with TemporaryDirectory() as folder:
        home = Path(folder).resolve()
        token = _token(home)
        async with AsyncExitStack() as servers:
            server = await servers.enter_async_context(_orderdesk(home, url))
            chains, v1 = f"{server}{_CHAINS}", f"{server}{_V1_EMAIL}"
            await _warm_up(token, chains, script="chain.lua")
            await _warm_up(token, v1, script="intake.lua")
            chain_runs, v1_runs = await _taking_turns(
                rounds,
                partial(wrk, chains, seconds, token=token, script="chain.lua"),
                partial(wrk, v1, seconds, token=token, script="intake.lua"),
            )
    return Comparison(
        title="Order chain intake (`POST …/future/orders`, an e-mail and two SMS reminders), 1 worker",
        unit="req/s",
        ours=[result.requests_per_second for result in chain_runs],
        baseline=[result.requests_per_second for result in v1_runs],
        baseline_name="v1 `POST …/orders/email`, 1 recipient, same server",
        target=0.7,
        notes=(
            "`-s bench/wrk/chain.lua` (a new idempotency id per request) against `-s bench/wrk/intake.lua`,"
            f" both on one `orderdesk serve --no-worker` (uvicorn, 1 worker) on PostgreSQL. wrk 4.1"
            f" `{wrk_flags(seconds)}`, {rounds} rounds taking turns at going first, after a warm-up of each."
            " A chain is validated and its chain row and three orders are inserted by one autocommitted"
            " statement, the orders given as one JSON array (and inserted only if the idempotency id was"
            " new); its two reminders go to one mobile number drawn at random per request; the v1 order"
            " is one autocommitted"
            f" INSERT. p99: chain {_median(chain_runs, lambda r: r.p99_ms):.1f} ms,"
            f" v1 {_median(v1_runs, lambda r: r.p99_ms):.1f} ms." + _unanswered(chain=chain_runs, v1=v1_runs)
        ),
    )
