"""The server's max-deliveries advisory, turned into the consume loop's give-up path.

When a message reaches `max_deliver` without being settled (the handler's process died or
hung on its last delivery), the server stops delivering it and says so once, on core NATS:
`$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.<stream>.<consumer>`. The message is not removed.
The service that owns the consumer listens, in a queue group so one replica answers, and
`ConsumerLoop.exhausted` tells the user and dead-letters the message.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import structlog
from nats.aio.client import Client
from nats.aio.msg import Msg

from ._consume import ConsumerLoop

log = structlog.get_logger("easel.bus")

ADVISORY = "$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES"


def advisory_subject(stream: str, durable: str) -> str:
    return f"{ADVISORY}.{stream}.{durable}"


@contextlib.asynccontextmanager
async def max_deliveries_watch(nc: Client, loop: ConsumerLoop[Any]) -> AsyncIterator[None]:
    """While the block runs, every max-deliveries advisory of `loop`'s consumer ends in
    `loop.exhausted`. Core NATS: an advisory sent while no replica listens is lost, which is
    why the loop also gives up by itself on a failed last delivery."""

    async def on_advisory(msg: Msg) -> None:
        try:
            advisory = json.loads(msg.data)
            seq, deliveries = int(advisory["stream_seq"]), int(advisory["deliveries"])
        except (ValueError, KeyError, TypeError) as error:
            log.warning("bus.advisory_unreadable", subject=msg.subject, error=repr(error))
            return
        log.warning(
            "bus.max_deliveries", consumer=loop.durable, stream_seq=seq, deliveries=deliveries
        )
        await loop.exhausted(seq, deliveries)

    sub = await nc.subscribe(
        advisory_subject(loop.stream, loop.durable),
        queue=f"easel-advisories-{loop.durable}",
        cb=on_advisory,
    )
    try:
        yield
    finally:
        with contextlib.suppress(Exception):  # a closed or draining connection
            await sub.unsubscribe()
