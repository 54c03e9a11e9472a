"""The polling lease: at most one gateway replica calls getUpdates (Telegram answers a
second poller with 409 Conflict). A key in a NATS KV bucket whose TTL is the lease term:
`create` acquires it, `update(last=revision)` renews it, and a holder that dies stops
renewing, so the key expires and a standby replica takes over."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable

import nats.errors
from nats.js.errors import KeyWrongLastSequenceError
from nats.js.kv import KeyValue


class PollingLease:
    def __init__(
        self,
        kv: KeyValue,
        *,
        key: str,
        holder: str,
        term: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._kv = kv
        self.key = key
        self.holder = holder  # written as the value, for whoever inspects the bucket
        self.term = term  # the bucket's TTL: how long the key outlives its last renewal
        self._clock = clock
        self._revision: int | None = None
        self._renewed_at = 0.0

    @property
    def renew_every(self) -> float:
        """Three chances to renew before the key can expire."""
        return self.term / 3

    @property
    def held(self) -> bool:
        return self._revision is not None

    async def try_acquire(self) -> bool:
        """True if this replica holds the lease now; False while another one does."""
        started = self._clock()
        try:
            self._revision = await self._kv.create(self.key, self.holder.encode())
        except KeyWrongLastSequenceError:
            return False
        self._renewed_at = started
        return True

    async def renew(self) -> bool:
        """Extend the term; False once the lease is lost. Call every `renew_every` seconds.

        A renewal NATS refuses (a newer revision) means another replica holds the key.
        One that fails for want of NATS leaves the key as it was: the lease counts as lost
        before the key could have expired, so two replicas never believe they hold it.
        """
        if self._revision is None:
            return False
        started = self._clock()
        try:
            self._revision = await self._kv.update(
                self.key, self.holder.encode(), last=self._revision
            )
        except KeyWrongLastSequenceError:
            self._revision = None
            return False
        except nats.errors.Error:
            if self._clock() - self._renewed_at >= self.term - self.renew_every:
                self._revision = None
                return False
            return True
        self._renewed_at = started
        return True

    async def release(self) -> None:
        """Hand the lease on at once (a clean stop), instead of making the next holder wait
        out the term. Only if still ours: the delete carries the expected revision."""
        revision, self._revision = self._revision, None
        if revision is not None:
            with contextlib.suppress(nats.errors.Error):
                await self._kv.delete(self.key, last=revision)
