"""The per-user rate limit in KV `easel_rate_limits`, shared by every replica.
`core.ratelimit` decides; this applies it with compare-and-set."""

from __future__ import annotations

import time
from collections.abc import Callable

import nats.errors
import structlog
from nats.js.errors import KeyNotFoundError, KeyWrongLastSequenceError
from nats.js.kv import KeyValue

from easel import bus
from easel_gateway.core import ratelimit

log = structlog.get_logger("easel.gateway")

_CAS_ATTEMPTS = 50  # far above the concurrent requests one user can have in flight


class RateLimiter:
    """The sliding window per user, stored as a JSON list of request times and changed
    only by compare-and-set, so concurrent replicas can neither lose nor double a slot."""

    def __init__(
        self,
        kv: KeyValue,
        *,
        limit: int,
        window: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._kv = kv
        self.limit = limit
        self.window = window
        self._clock = clock

    async def acquire(self, user: str) -> ratelimit.Decision:
        """Take a slot of `user` (`core.jobs.telegram_user` or `api_user`) if the window has
        one; the decision says when to come back if not."""
        try:
            return await self._acquire(user)
        except nats.errors.TimeoutError:
            # The answer was lost (a server restart): the slot may be taken already, and a
            # repeat could charge this request twice. Letting one request through unchecked
            # is the smaller harm than failing it or refusing a user within the limit.
            log.warning("gateway.rate_limit_unanswered")
            return ratelimit.Decision(True, (), 0.0)

    @bus.retry_unanswered
    async def _acquire(self, key: str) -> ratelimit.Decision:
        # Optimistic concurrency, not a retry with backoff: a conflict means another request
        # of this user just took a slot, so reading again at once always makes progress.
        for attempt in range(1, _CAS_ATTEMPTS + 1):
            try:
                return await self._try_acquire(key)
            except KeyWrongLastSequenceError:
                if attempt == _CAS_ATTEMPTS:
                    raise
        raise AssertionError("unreachable: the loop returns or raises")

    async def _try_acquire(self, key: str) -> ratelimit.Decision:
        try:
            entry = await self._kv.get(key)
        except KeyNotFoundError:
            entry = None
        stored = ratelimit.decode(entry.value if entry else None)
        decision = ratelimit.decide(stored, self._clock(), self.limit, self.window)
        if decision.allowed:
            value = ratelimit.encode(decision.timestamps)
            if entry is None:
                await self._kv.create(key, value)
            else:
                await self._kv.update(key, value, last=entry.revision)
        return decision
