"""The job view: how far behind the events it runs (projection lag at a steady 50 jobs/s,
each job's six events through EASEL_HISTORY and the projector), and how long `easel jobs
rebuild` takes to fold a large log into an empty view.

Both on a nats-server of their own, the projector in this process as the gateway hosts it.
Lag is the KV entry's server timestamp minus the event's `occurred_at` (set as it is
published), for the first record that shows the event's stage.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

from nats.js import JetStreamContext

from easel import bus, jobs
from easel.events import (
    JobEvent,
)
from easel.jobs import JobRecord, JobState, JobStore, Projector
from easel.natsserver import NatsServer
from easel.settings import EaselSettings
from easel_devtools.bench.plan import Plan
from easel_devtools.bench.report import Outcome, Row, ms
from easel_devtools.bench.stats import summarise
from easel_devtools.testing import REGISTRY, holding, journey, settled

LAG_TARGET = 0.050
LAG_RATE = 50  # jobs per second
REBUILD_TARGET = 60.0  # seconds for 100,000 jobs
_STAGE_OF = {
    "image.requested": JobState.QUEUED,
    "prompt.enhancing": JobState.ENHANCING,
    "prompt.enhanced": JobState.WAITING,
    "image.started": JobState.GENERATING,
    "image.generated": JobState.SENDING,
    "image.delivered": JobState.DELIVERED,
}


async def run(plan: Plan) -> Outcome:
    lag = await _lag(plan.jobview_seconds)
    rebuilt = await _rebuild(plan.rebuild_jobs)
    per_100k = rebuilt["seconds"] * 100_000 / rebuilt["jobs"]
    rows = [
        Row(
            f"projection lag p50/p99/max, ms ({LAG_RATE} jobs/s × 6 events, "
            f"{plan.jobview_seconds:.0f} s)",
            f"{ms(lag['lag'].p50)} / {ms(lag['lag'].p99)} / {ms(lag['lag'].max)}",
            f"{lag['lag'].n} events; {lag['unseen']} never shown",
            "p99 ≤ 50 ms",
            lag["lag"].p99 <= LAG_TARGET and lag["unseen"] == 0,
        ),
        Row(
            f"rebuild: {rebuilt['jobs']:,} jobs ({rebuilt['events']:,} events) into an empty "
            "view, s",
            f"{rebuilt['seconds']:.1f}",
            f"{per_100k:.0f} s per 100,000 jobs at this rate; "
            f"same records as the live view: {rebuilt['same']}",
            "≤ 60 s per 100,000",
            per_100k <= REBUILD_TARGET and rebuilt["same"],
        ),
    ]
    return Outcome("jobview", rows, {"lag": lag, "rebuild": rebuilt})


async def _lag(seconds: float) -> dict[str, Any]:
    async with _server() as js:
        kv = await js.key_value(bus.JOBS_BUCKET)
        first_shown: dict[tuple[str, JobState], datetime] = {}
        watcher = await kv.watch("job.>", include_history=False)

        async def watch() -> None:
            async for entry in watcher:
                if entry is None or not entry.value:
                    continue
                record = JobRecord.model_validate_json(entry.value)
                for state in record.stages:
                    first_shown.setdefault((record.job_id, state), entry.created)

        watching = asyncio.create_task(watch())
        published: list[JobEvent] = []
        async with _projector(js):
            started = time.monotonic()
            count = int(seconds * LAG_RATE)
            tasks = []
            for n in range(count):
                tasks.append(asyncio.create_task(_one_job(js, f"lag_{n}", published)))
                await asyncio.sleep(max(0.0, started + (n + 1) / LAG_RATE - time.monotonic()))
            await asyncio.gather(*tasks)
            last = await holding(js, bus.HISTORY, len(published), within=60)
            await settled(js, bus.HISTORY, bus.PROJECTOR, last, within=120)
        watching.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watching
        await watcher.stop()  # type: ignore[no-untyped-call]
    lags, unseen = [], 0
    for event in published:
        shown = first_shown.get((event.job_id, _STAGE_OF[event.event_type]))
        if shown is None:
            unseen += 1
            continue
        lags.append(max((shown - event.occurred_at).total_seconds(), 0.0))
    return {"lag": summarise(lags), "unseen": unseen, "events": len(published)}


async def _one_job(js: JetStreamContext, job_id: str, published: list[JobEvent]) -> None:
    """A job's six events, a little apart, as the services would send them."""
    for event in journey(job_id):
        event = event.model_copy(update={"occurred_at": datetime.now(UTC)})
        await bus.publish(js, event, source="bench")
        published.append(event)
        await asyncio.sleep(0.01)


async def _rebuild(count: int) -> dict[str, Any]:
    async with _server() as js:
        events = 0
        batch = []
        for n in range(count):
            for event in journey(f"rb_{n}"):
                batch.append(bus.publish(js, event, source="bench"))
                events += 1
            if len(batch) >= 600:
                await asyncio.gather(*batch)
                batch = []
        await asyncio.gather(*batch)
        await holding(js, bus.HISTORY, events, within=600)
        async with _projector(js):
            last = (await js.stream_info(bus.HISTORY)).state.last_seq
            await settled(js, bus.HISTORY, bus.PROJECTOR, last, within=600)
        store = JobStore(await js.key_value(bus.JOBS_BUCKET))
        sample = [f"rb_{n}" for n in range(0, count, max(1, count // 200))]
        live = [await store.get(job) for job in sample]
        rebuilt = await jobs.rebuild(js)
        again = [await store.get(job) for job in sample]
    return {
        "jobs": rebuilt.jobs,
        "events": rebuilt.events,
        "seconds": rebuilt.seconds,
        "same": live == again and all(r is not None for r in live),
    }


@contextlib.asynccontextmanager
async def _server() -> AsyncIterator[JetStreamContext]:
    with NatsServer(store_dir=None) as server:
        nc = await bus.connect(server.url, f"bench-jobview-{uuid.uuid4().hex[:6]}")
        try:
            js = nc.jetstream()
            await bus.provision(js, EaselSettings(), REGISTRY)
            yield js
        finally:
            await nc.close()


@contextlib.asynccontextmanager
async def _projector(js: JetStreamContext) -> AsyncIterator[None]:
    """The projector as the gateway runs it (8 workers)."""
    store = JobStore(await js.key_value(bus.JOBS_BUCKET))
    loop = bus.ConsumerLoop(
        js,
        stream=bus.HISTORY,
        durable=bus.PROJECTOR,
        decode=jobs.decode_job_event,
        handler=Projector(store).handle,
        workers=8,
        heartbeat=bus.PROJECTOR_ACK_WAIT / 3,
        letters=False,
    )
    stop = asyncio.Event()
    task = asyncio.create_task(loop.run(stop))
    try:
        yield
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=60)
