"""Job claims in KV `easel_job_claims`, shared by every replica: one job per Telegram
message, in two phases. `core.claims` decides; this applies it with compare-and-set."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

import structlog
from nats.js.errors import KeyNotFoundError, KeyWrongLastSequenceError
from nats.js.kv import KeyValue

from easel import bus
from easel_gateway.core import claims
from easel_gateway.metrics import CLAIM_TAKEOVERS

log = structlog.get_logger("easel.gateway")

_CAS_ATTEMPTS = 50  # far above the duplicates of one update that can be in flight


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
    """One job per Telegram message, in two phases (see `easel_gateway.core.claims`)."""

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
