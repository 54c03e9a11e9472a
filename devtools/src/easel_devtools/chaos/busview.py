"""JetStream after a run: the dead letters (they survive every kill), the wait until every
consumer (the projector's too) is idle, after which nothing more can reach a user, and the
job view's records."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterable

import nats
from nats.js import JetStreamContext
from nats.js.errors import NotFoundError

from easel import bus
from easel.jobs import JobRecord, JobStore


def consumers(models: tuple[str, ...]) -> list[tuple[str, str]]:
    return [
        (bus.REQUESTS, bus.ENHANCER),
        *((bus.PROMPTS, bus.generator_consumer(m)) for m in models),
        (bus.RESULTS, bus.NOTIFIER),
        (bus.HISTORY, bus.PROJECTOR),
    ]


async def until_idle(url: str, models: tuple[str, ...], within: float) -> dict[str, int]:
    """Wait until no consumer has a message pending or unacked; returns what is left
    (empty when idle). The server offers no event for "idle", so its state is re-read."""
    nc = await nats.connect(bus.servers(url))
    left: dict[str, int] = {}
    try:
        js = nc.jetstream()
        async with asyncio.timeout(within):
            while True:
                left = await _busy(js, models)
                if not left:
                    return left
                await asyncio.sleep(0.2)
    except TimeoutError:
        return left
    finally:
        await nc.close()


async def _busy(js: JetStreamContext, models: tuple[str, ...]) -> dict[str, int]:
    busy = {}
    for stream, durable in consumers(models):
        info = await js.consumer_info(stream, durable)
        if waiting := info.num_pending + (info.num_ack_pending or 0):
            busy[durable] = waiting
    return busy


async def dead_letters(url: str) -> Counter[str]:
    """The EASEL_DLQ stream's letters, counted by "consumer/reason"."""
    nc = await nats.connect(bus.servers(url))
    letters: Counter[str] = Counter()
    h = bus.DlqHeader
    try:
        js = nc.jetstream()
        state = (await js.stream_info(bus.DLQ)).state
        first = state.first_seq if state.messages else state.last_seq + 1
        for seq in range(first, state.last_seq + 1):
            try:
                headers = (await js.get_msg(bus.DLQ, seq)).headers or {}
            except NotFoundError:  # a gap in the sequence
                continue
            letters[f"{headers.get(h.CONSUMER, '?')}/{headers.get(h.REASON, '?')}"] += 1
    finally:
        await nc.close()
    return letters


async def job_records(url: str, job_ids: Iterable[str]) -> dict[str, JobRecord | None]:
    nc = await nats.connect(bus.servers(url))
    try:
        store = JobStore(await nc.jetstream().key_value(bus.JOBS_BUCKET))
        return {job_id: await store.get(job_id) for job_id in job_ids}
    finally:
        await nc.close()
