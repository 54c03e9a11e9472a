"""The gateway's state in NATS KV, shared by every replica: job claims and rate windows."""

from __future__ import annotations

import time
from collections.abc import Callable

from nats.js.errors import KeyNotFoundError, KeyWrongLastSequenceError
from nats.js.kv import KeyValue

from easel_gateway import ratelimit
from easel_gateway.jobs import rate_limit_key

_CAS_ATTEMPTS = 50  # far above the concurrent requests one user can have in flight


class JobClaims:
    """One job per Telegram message: the first `claim` of a job id wins, for good."""

    def __init__(self, kv: KeyValue) -> None:
        self._kv = kv

    async def claim(self, job_id: str) -> bool:
        try:
            await self._kv.create(job_id, b"claimed")
        except KeyWrongLastSequenceError:
            return False
        return True


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

    async def acquire(self, user_id: int) -> ratelimit.Decision:
        """Take a slot if the window has one; the decision says when to come back if not."""
        key = rate_limit_key(user_id)
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
