"""Throughput: instant stand-in backends, capacity 64, requests delivered end to end per
second over a fixed window, with each process's CPU% and peak RSS; beside it the ceiling,
raw JetStream publish + consume of as many events on the same server.

The notifier's own Telegram pacing (25 calls/s by default, for the real Bot API) is
lifted here, and the stand-in's flood limits are off: this measures the pipeline; the
`telegram` scenario measures it through Telegram's limits.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Callable

import nats
from nats.js.api import StorageType, StreamConfig

from easel_devtools.bench import procs
from easel_devtools.bench.plan import Plan
from easel_devtools.bench.report import Outcome, Row
from easel_devtools.bench.rig import Rig

CAPACITY = 64
IN_FLIGHT = 128  # requests outstanding at once: enough to keep every stage busy
WARM_UP_SECONDS = 3.0
EVENTS_PER_REQUEST = 4  # image.requested, prompt.enhanced, image.started, image.generated
EVENT_BYTES = 700  # about a prompt.enhanced event's JSON
STANDINS = "bench process (stand-ins)"


async def run(plan: Plan) -> Outcome:
    env = {"TELEGRAM_MAX_CALLS_PER_SECOND": "1000"}
    async with Rig(capacity=CAPACITY, env=env) as rig:
        # The stand-ins run in this process and share the two cores with the services.
        window = procs.Window(rig.pids() | {STANDINS: os.getpid()})
        sent = await _drive(rig, 0, WARM_UP_SECONDS)
        before = rig.delivered()
        window.open(time.monotonic())
        sent = await _drive(rig, sent, plan.throughput_seconds)
        after = rig.delivered()
        usage = window.close(time.monotonic())
        await rig.wait_delivered(sent, timeout=120)  # drain before measuring the ceiling
        events = (after - before) * EVENTS_PER_REQUEST
        raw_seconds = await _raw_jetstream(rig.system.nats.url, events)
    rps = (after - before) / plan.throughput_seconds
    # CPU the pipeline spends per delivered request: the services and nats-server.
    pipeline_cpu = sum(u.cpu_percent for name, u in usage.items() if name != STANDINS)
    cpu_ms_per_request = pipeline_cpu / 100 * 1000 / rps if rps else float("nan")
    ceiling_rps = events / raw_seconds / EVENTS_PER_REQUEST
    rows = [
        Row(
            f"throughput, requests/s end to end ({plan.throughput_seconds:.0f} s, capacity 64)",
            f"{rps:.1f}",
            f"ceiling: {ceiling_rps:.0f} (raw JetStream, {events / raw_seconds:.0f} events/s)",
        ),
        *(
            Row(
                f"  {name} CPU % / peak RSS MiB",
                f"{u.cpu_percent:.0f} % / {u.peak_rss_mib:.0f}",
            )
            for name, u in usage.items()
        ),
    ]
    data = {
        "requests_per_second": rps,
        "delivered_in_window": after - before,
        "in_flight": IN_FLIGHT,
        "usage": {name: vars(u) for name, u in usage.items()},
        "raw_events": events,
        "raw_seconds": raw_seconds,
        "ceiling_requests_per_second": ceiling_rps,
        "cpu_ms_per_request": cpu_ms_per_request,
    }
    notes = [
        f"{cpu_ms_per_request:.1f} ms of CPU per delivered request (services + nats-server); "
        f"{IN_FLIGHT} requests kept outstanding (a new chat each); notifier pacing lifted to "
        "1000 calls/s, Bot API flood limits off; CPU % is of one core (2 cores = 200 %); the "
        "stand-ins (Bot API, workers, LLM) run in the bench process"
    ]
    return Outcome("throughput", rows, data, notes)


async def _drive(rig: Rig, sent: int, seconds: float) -> int:
    """Keep IN_FLIGHT requests outstanding for `seconds`; returns how many were sent in all."""
    end = time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0:
        delivered = rig.delivered()
        for _ in range(IN_FLIGHT - (sent - delivered)):
            rig.send(f"throughput request {sent}")
            sent += 1
        # A timeout is fine: the loop tops up the outstanding requests either way.
        with contextlib.suppress(TimeoutError):
            await rig.telegram.wait_for_async(_more_than(rig, delivered), timeout=min(left, 1.0))
    return sent


def _more_than(rig: Rig, delivered: int) -> Callable[[], bool]:
    return lambda: rig.delivered() > delivered


async def _raw_jetstream(url: str, count: int, in_flight: int = 64) -> float:
    """Seconds to publish `count` events (acked by the server) and consume + ack them all."""
    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        await js.add_stream(
            StreamConfig(name="BENCH_RAW", subjects=["bench.raw"], storage=StorageType.FILE)
        )
        sub = await js.pull_subscribe("bench.raw", durable="bench-raw", stream="BENCH_RAW")
        payload = b"x" * EVENT_BYTES

        async def produce() -> None:
            for start in range(0, count, in_flight):
                batch = min(in_flight, count - start)
                await asyncio.gather(*(js.publish("bench.raw", payload) for _ in range(batch)))

        async def consume() -> None:
            got = 0
            while got < count:
                try:
                    messages = await sub.fetch(100, timeout=1.0)
                except nats.errors.TimeoutError:
                    continue
                for message in messages:
                    await message.ack()
                got += len(messages)

        began = time.monotonic()
        await asyncio.wait_for(asyncio.gather(produce(), consume()), timeout=300)
        return time.monotonic() - began
    finally:
        await nc.close()
