"""Reading EASEL_HISTORY: every stored job event in order, or one job's by its sequences."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError

from easel import bus

_PENDING = 65_536  # messages the subscription may hold before the server waits


@dataclass(frozen=True)
class Stored:
    seq: int
    subject: str
    data: bytes
    headers: dict[str, str]


async def read_all(js: JetStreamContext, each: Callable[[Stored], None]) -> int:
    """Hand every message in EASEL_HISTORY, up to its last at the start, to `each`, oldest
    first; returns how many. Pushed by the server to one callback (an ordered consumer):
    a pull loop would spend a task per message on a log of millions."""
    last = (await js.stream_info(bus.HISTORY)).state.last_seq
    if not last:
        return 0
    done = asyncio.Event()
    count = 0

    async def on_message(msg: Msg) -> None:
        nonlocal count
        meta = msg.metadata
        seq = meta.sequence.stream
        if seq <= last:
            each(Stored(seq, msg.subject, msg.data, msg.headers or {}))
            count += 1
        if seq >= last or meta.num_pending == 0:
            done.set()

    sub = await js.subscribe(
        ">",
        stream=bus.HISTORY,
        ordered_consumer=True,
        config=ConsumerConfig(deliver_policy=DeliverPolicy.ALL, mem_storage=True),
        cb=on_message,
        pending_msgs_limit=_PENDING,
    )
    try:
        await done.wait()
    finally:
        await sub.unsubscribe()
    return count


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
