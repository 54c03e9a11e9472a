"""Reading EASEL_HISTORY: every stored job event in order, or one job's by its sequences."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass

import nats.errors
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError

from easel import bus

_BATCH = 1_000


@dataclass(frozen=True)
class Stored:
    seq: int
    subject: str
    data: bytes
    headers: dict[str, str]


async def every_event(js: JetStreamContext) -> AsyncIterator[Stored]:
    """Every message in EASEL_HISTORY up to its last at the start, oldest first, through a
    short-lived consumer that acks nothing."""
    last = (await js.stream_info(bus.HISTORY)).state.last_seq
    if not last:
        return
    config = ConsumerConfig(
        name=f"history-read-{uuid.uuid4().hex}",
        deliver_policy=DeliverPolicy.ALL,
        ack_policy=AckPolicy.NONE,
        mem_storage=True,
        inactive_threshold=30.0,
    )
    sub = await js.pull_subscribe(">", stream=bus.HISTORY, config=config)
    try:
        seq = 0
        while seq < last:
            try:
                messages = await sub.fetch(_BATCH, timeout=5.0)
            except nats.errors.TimeoutError:
                break  # nothing more: the rest aged out meanwhile
            for msg in messages:
                seq = msg.metadata.sequence.stream
                yield Stored(seq, msg.subject, msg.data, dict(msg.headers or {}))
    finally:
        await sub.unsubscribe()


async def events_at(js: JetStreamContext, seqs: Iterable[int]) -> list[Stored]:
    """The messages at these sequences that are still stored."""
    found = []
    for seq in seqs:
        try:
            msg = await js.get_msg(bus.HISTORY, seq)
        except NotFoundError:
            continue
        found.append(Stored(seq, msg.subject or "", msg.data or b"", dict(msg.headers or {})))
    return found
