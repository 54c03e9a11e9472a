"""A lease: at most one replica does a thing at a time, and another takes over when it
goes. The polling gateway holds one (Telegram answers a second poller with 409
Conflict); the notifier replica that edits queue positions holds another.

A key in a NATS KV bucket whose TTL is the lease term: `create` acquires it,
`update(last=revision)` renews it, and a holder that dies stops renewing, so the key
expires and a standby replica takes over. `lead` runs a task only while holding one."""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import socket
import time
from collections.abc import Callable, Coroutine
from typing import Any

import nats.errors
import structlog
from nats.js import JetStreamContext
from nats.js.errors import KeyWrongLastSequenceError
from nats.js.kv import KeyValue

from easel import bus
from easel.runtime._tasks import every

log = structlog.get_logger("easel.runtime")


def holder_name() -> str:
    """Who holds a lease, as its value shows: host, process, and a nonce for restarts."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


async def lease(js: JetStreamContext, key: str) -> Lease:
    """This process's claim on `key` in the lease bucket. The term is the bucket's TTL,
    whatever created it, so every replica agrees on it."""
    kv = await js.key_value(bus.LEASE_BUCKET)
    term = (await kv.status()).ttl or bus.LEASE_SECONDS
    return Lease(kv, key=key, holder=holder_name(), term=term)


class Lease:
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


async def acquire(
    lease: Lease, stop: asyncio.Event, standing_by: Callable[[], None] | None = None
) -> bool:
    """Take the lease as soon as it is free; False if `stop` came first. `standing_by` is
    called after each try that found another holder."""
    async for _ in every(lease.renew_every, stop):
        try:
            if await lease.try_acquire():
                return True
        except nats.errors.Error as error:
            log.warning("runtime.lease_unavailable", key=lease.key, error=repr(error))
        if standing_by is not None:
            standing_by()
    return False


async def keep(lease: Lease) -> None:
    """Renew the lease every `renew_every`; returns when it is lost."""
    while True:
        await asyncio.sleep(lease.renew_every)
        if not await lease.renew():
            return


async def lead(
    lease: Lease, stop: asyncio.Event, work: Callable[[], Coroutine[Any, Any, None]]
) -> None:
    """Run `work` while this replica holds `lease`, standing by while another does; at
    `stop`, end the work and hand the lease on. Work that ends by itself is run again."""
    while await acquire(lease, stop):
        log.info("runtime.lease_acquired", key=lease.key, holder=lease.holder)
        tasks = {
            asyncio.create_task(work()),
            (kept := asyncio.create_task(keep(lease))),
            asyncio.create_task(stop.wait()),
        }
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            if kept.done() and not kept.cancelled():
                log.error("runtime.lease_lost", key=lease.key, holder=lease.holder)
            else:
                await lease.release()
        ended = next((t for t in done if t is not kept and not t.cancelled()), None)
        if ended is not None and (failure := ended.exception()) is not None:
            log.error("runtime.lease_work_failed", key=lease.key, error=repr(failure))
        if not stop.is_set():
            # Work that ended or failed at once must not spin: a term's pause, then again.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(lease.renew_every):
                    await stop.wait()
