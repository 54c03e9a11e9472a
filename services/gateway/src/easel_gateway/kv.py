"""The gateway's state in NATS KV, shared by every replica: job claims and rate windows."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

import nats.errors
import structlog
from nats.js.errors import KeyNotFoundError, KeyWrongLastSequenceError
from nats.js.kv import KeyValue

from easel import bus
from easel_gateway import claims, ratelimit
from easel_gateway.jobs import rate_limit_key
from easel_gateway.metrics import CLAIM_TAKEOVERS

log = structlog.get_logger("easel.gateway")

_CAS_ATTEMPTS = 50  # far above the concurrent requests one user can have in flight


@dataclass(frozen=True)
class HeldClaim:
    """A claim this handler holds: its revision is what the next step compares against."""

    job_id: str
    holder: str  # names this handler in the records it writes
    revision: int
    status_message_id: int | None  # already shown: by this handler or the one taken over
    taken_over: bool = False  # another handler started this request, then went silent


class ClaimLost(Exception):
    """Another handler took the claim over (this one stalled past `stale_after`)."""


class JobClaims:
    """One job per Telegram message, in two phases (see `easel_gateway.claims`)."""

    def __init__(
        self, kv: KeyValue, *, stale_after: float, clock: Callable[[], float] = time.time
    ) -> None:
        self._kv = kv
        self.stale_after = stale_after
        self._clock = clock

    async def claim(self, job_id: str) -> HeldClaim | None:
        """Hold the job's claim, or None when it is settled already (a duplicate).

        Waits while another handler holds a fresh claim: a duplicate delivered at the same
        time must neither make a second job nor be dropped while the first could still die.
        """
        return await self._claim(job_id, secrets.token_hex(8))

    # Retried through a server restart, timeouts included: a repeat of a write whose answer
    # was lost finds the record named by `holder` and takes it as its own.
    @bus.retry_transient
    async def _claim(self, job_id: str, holder: str) -> HeldClaim | None:
        for _ in range(_CAS_ATTEMPTS):
            now = self._clock()
            try:
                record = claims.encode(claims.pending(now, holder))
                revision = await self._kv.create(job_id, record)
                return HeldClaim(job_id, holder, revision, None)
            except KeyWrongLastSequenceError:
                pass
            try:
                entry = await self._kv.get(job_id)
            except KeyNotFoundError:
                continue  # deleted or expired in between: create again
            revision = entry.revision or 0
            match claims.judge(claims.decode(entry.value), now, self.stale_after, holder):
                case claims.Duplicate():
                    return None
                case claims.Mine(status_message_id=status):
                    # Only a takeover writes a status message id into a claim it makes.
                    return HeldClaim(job_id, holder, revision, status, status is not None)
                case claims.TakeOver(status_message_id=status):
                    record = claims.encode(claims.pending(now, holder, status))
                    try:
                        revision = await self._kv.update(job_id, record, last=revision)
                    except KeyWrongLastSequenceError:
                        continue  # another redelivery took it first, or a lost answer; look again
                    CLAIM_TAKEOVERS.inc()
                    log.warning("gateway.claim_taken_over", status_message_id=status)
                    return HeldClaim(job_id, holder, revision, status, taken_over=True)
                case claims.WaitUntil(deadline=deadline):
                    await self._until_changed(job_id, revision, deadline - now)
        raise AssertionError(f"claim of {job_id} changed hands {_CAS_ATTEMPTS} times")

    async def record_status(self, held: HeldClaim, status_message_id: int) -> HeldClaim:
        """Note the status message before publishing; raises ClaimLost if taken over."""
        record = claims.pending(self._clock(), held.holder, status_message_id)
        revision = await self._step(held, record)
        return HeldClaim(held.job_id, held.holder, revision, status_message_id, held.taken_over)

    async def settle(self, held: HeldClaim) -> None:
        """The request is published or refused: every later delivery is a duplicate."""
        await self._step(held, claims.done(self._clock(), held.holder))

    @bus.retry_transient
    async def _step(self, held: HeldClaim, claim: claims.Claim) -> int:
        try:
            return await self._kv.update(held.job_id, claims.encode(claim), last=held.revision)
        except KeyWrongLastSequenceError:
            pass
        # Moved on since `held`: a takeover, or this very write, whose answer was lost.
        try:
            entry = await self._kv.get(held.job_id)
        except KeyNotFoundError:
            raise ClaimLost(held.job_id) from None
        if claims.decode(entry.value) != claim:
            raise ClaimLost(held.job_id)
        return entry.revision or 0

    async def _until_changed(self, job_id: str, revision: int, seconds: float) -> None:
        """Return when the claim moves past `revision`, or after `seconds`."""
        watcher = await self._kv.watch(job_id)
        try:
            async with asyncio.timeout(max(seconds, 0.0)):
                async for entry in watcher:
                    if entry is not None and entry.revision > revision:
                        return
        except TimeoutError:
            return
        finally:
            await watcher.stop()  # type: ignore[no-untyped-call]  # unannotated in nats-py


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
        try:
            return await self._acquire(rate_limit_key(user_id))
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
