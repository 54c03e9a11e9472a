"""A lease in NATS KV: one holder at a time, handed on at a release or taken over once a
silent holder's term runs out; `lead` runs work only while holding it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

import nats
import pytest
import structlog
from nats.js import JetStreamContext
from nats.js.api import KeyValueConfig
from nats.js.kv import KeyValue

from easel.natsserver import NatsServer
from easel.runtime import Lease, lead

TERM = 3.0  # the bucket's TTL in these tests (15 s in production)


class FakeClock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


async def lease_bucket(js: JetStreamContext, name: str) -> KeyValue:
    return await js.create_key_value(KeyValueConfig(bucket=name, ttl=TERM, history=1))


@pytest.fixture
async def kv(js: JetStreamContext) -> KeyValue:
    return await lease_bucket(js, "lease_test")


def lease(kv: KeyValue, holder: str, clock: FakeClock | None = None) -> Lease:
    extra = {"clock": clock} if clock else {}
    return Lease(kv, key="polling_1", holder=holder, term=TERM, **extra)


async def test_one_holder_at_a_time_and_a_release_hands_it_on(kv: KeyValue) -> None:
    a, b = lease(kv, "a"), lease(kv, "b")
    assert await a.try_acquire()
    assert not await b.try_acquire()
    assert await a.renew()
    assert (await kv.get("polling_1")).value == b"a"
    await a.release()
    assert not a.held
    assert await b.try_acquire()
    assert not await a.renew()  # released means released


async def test_a_holder_that_stops_renewing_loses_the_lease_at_the_term(kv: KeyValue) -> None:
    a, b = lease(kv, "a"), lease(kv, "b")
    assert await a.try_acquire()
    assert not await b.try_acquire()
    await asyncio.sleep(TERM + 1)  # time passing is what is tested: no renewal, no lease
    assert await b.try_acquire()
    assert not await a.renew()  # the old holder learns it at its next renewal


async def test_without_nats_the_holder_gives_up_before_the_key_can_expire(
    nats_server: NatsServer,
) -> None:
    reconnected = asyncio.Event()

    async def on_reconnect() -> None:
        reconnected.set()

    nc = await nats.connect(nats_server.url, reconnect_time_wait=0.1, reconnected_cb=on_reconnect)
    kv = await lease_bucket(nc.jetstream(timeout=0.5), "lease_test")
    clock = FakeClock(100.0)
    a = lease(kv, "a", clock)
    assert await a.try_acquire()
    nats_server.stop()
    try:
        clock.now = 100.0 + a.renew_every  # one renewal missed: the key still has a term
        assert await a.renew()
        clock.now = 100.0 + TERM - a.renew_every  # the next may come too late: let go
        assert not await a.renew()
        assert not a.held
    finally:
        nats_server.start()
        await asyncio.wait_for(reconnected.wait(), timeout=10)  # a clean close needs it
        await nc.close()


async def test_lead_runs_the_work_on_one_replica_and_hands_it_on_at_a_stop(kv: KeyValue) -> None:
    running: list[str] = []
    started = {name: asyncio.Event() for name in ("a", "b")}

    def work(name: str) -> Callable[[], Coroutine[Any, Any, None]]:
        async def run() -> None:
            running.append(name)
            started[name].set()
            try:
                await asyncio.Event().wait()  # until cancelled
            finally:
                running.remove(name)

        return run

    stops = {name: asyncio.Event() for name in ("a", "b")}
    a = asyncio.create_task(lead(lease(kv, "a"), stops["a"], work("a")))
    await asyncio.wait_for(started["a"].wait(), 5)
    b = asyncio.create_task(lead(lease(kv, "b"), stops["b"], work("b")))
    await asyncio.sleep(TERM / 3 + 0.5)  # b tried, at least once, while a held it
    assert running == ["a"]
    stops["a"].set()
    await asyncio.wait_for(a, 5)
    await asyncio.wait_for(started["b"].wait(), TERM)  # released: no term to wait out
    assert running == ["b"]
    stops["b"].set()
    await asyncio.wait_for(b, 5)
    assert running == []


async def test_work_that_fails_is_logged_and_tried_again_after_a_pause(kv: KeyValue) -> None:
    starts: list[float] = []
    again = asyncio.Event()

    async def failing() -> None:
        starts.append(asyncio.get_running_loop().time())
        if len(starts) == 2:
            again.set()
        raise RuntimeError("broken")

    stop = asyncio.Event()
    holder = lease(kv, "a")
    with structlog.testing.capture_logs() as logs:
        leading = asyncio.create_task(lead(holder, stop, failing))
        await asyncio.wait_for(again.wait(), 10)
        stop.set()
        await asyncio.wait_for(leading, 5)
    assert starts[1] - starts[0] >= holder.renew_every * 0.9  # paused: no spinning
    failures = [e for e in logs if e["event"] == "runtime.lease_work_failed"]
    assert failures[0]["error"] == "RuntimeError('broken')"
