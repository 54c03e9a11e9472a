"""The server's max-deliveries advisory, turned into the consume loop's give-up path.

When a message reaches `max_deliver` without being settled (the handler's process died or
hung on its last delivery), the server stops delivering it and says so once, on core NATS:
`$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.<stream>.<consumer>`. The message is not removed.
EASEL_ADVISORIES stores that advisory, so it waits for a replica even when none listens
(every one of them died); the owning service reads it through its durable
`advisories-<consumer>`, and `ConsumerLoop.exhausted` tells the user and dead-letters the
message. An advisory is acked once that is done, and comes back otherwise.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import nats.errors
import structlog
from nats.aio.msg import Msg
from nats.js import JetStreamContext

from easel.bus._consume import ConsumerLoop, fetch_one, retry_delay
from easel.bus._topology import ADVISORIES, advisory_consumer

log = structlog.get_logger("easel.bus")


@contextlib.asynccontextmanager
async def max_deliveries_watch(
    js: JetStreamContext, loop: ConsumerLoop[Any], fetch_timeout: float = 5.0
) -> AsyncIterator[None]:
    """While the block runs, every max-deliveries advisory of `loop`'s consumer, stored
    while this replica was away included, ends in `loop.exhausted`."""
    sub = await js.pull_subscribe_bind(durable=advisory_consumer(loop.durable), stream=ADVISORIES)
    watch = _Watch(sub, loop, fetch_timeout)
    task = asyncio.create_task(watch.run())
    try:
        yield
    finally:
        await watch.stop(task)
        with contextlib.suppress(Exception):  # a closed or draining connection
            await sub.unsubscribe()


class _Watch:
    def __init__(
        self, sub: JetStreamContext.PullSubscription, loop: ConsumerLoop[Any], fetch_timeout: float
    ) -> None:
        self._sub = sub
        self._loop = loop
        self._fetch_timeout = fetch_timeout
        self._stopping = False
        self._handling = False

    async def run(self) -> None:
        consumer = advisory_consumer(self._loop.durable)
        while not self._stopping:
            messages = await fetch_one(self._sub, self._fetch_timeout, consumer)
            if not messages:
                continue
            self._handling = True
            try:
                for msg in messages:
                    await _handle(msg, self._loop)
            finally:
                self._handling = False

    async def stop(self, task: asyncio.Task[None], grace: float = 10.0) -> None:
        """An idle fetch is cancelled; an advisory being handled is finished and settled."""
        self._stopping = True
        if not self._handling:
            task.cancel()
        done, _ = await asyncio.wait([task], timeout=grace)
        if not done:
            task.cancel()  # unsettled, so the server hands it out again after ack_wait
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _handle(msg: Msg, loop: ConsumerLoop[Any]) -> None:
    try:
        advisory = json.loads(msg.data)
        seq, deliveries = int(advisory["stream_seq"]), int(advisory["deliveries"])
    except (ValueError, KeyError, TypeError) as error:
        # The server wrote it: nothing to retry, and nothing a user waits for.
        log.warning("bus.advisory_unreadable", subject=msg.subject, error=repr(error))
        await _settle(msg, done=True, loop=loop)
        return
    log.warning("bus.max_deliveries", consumer=loop.durable, stream_seq=seq, deliveries=deliveries)
    try:
        done = await loop.exhausted(seq, deliveries)
    except Exception:  # whatever it raises, the watch goes on and the advisory comes back
        log.exception("bus.exhausted_failed", consumer=loop.durable, stream_seq=seq)
        done = False
    await _settle(msg, done=done, loop=loop)


async def _settle(msg: Msg, *, done: bool, loop: ConsumerLoop[Any]) -> None:
    try:
        if done:
            await msg.ack()
        else:
            await msg.nak(delay=retry_delay(msg.metadata.num_delivered))
    except nats.errors.Error as error:  # back after ack_wait; `exhausted` is idempotent
        log.warning("bus.advisory_settle_failed", consumer=loop.durable, error=repr(error))
