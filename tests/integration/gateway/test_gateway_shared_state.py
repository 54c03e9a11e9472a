"""Job claims and rate windows live in NATS KV, so they hold across gateway replicas:
here two limiters / claim stores on two separate NATS connections share one server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import nats
import pytest
from nats.aio.client import Client
from nats.js import JetStreamContext

from easel import bus
from easel.natsserver import NatsServer
from easel.settings import EaselSettings, load_registry
from easel_gateway.kv import JobClaims, RateLimiter

MODELS = load_registry({"FLUX_WORKER_URL": "http://127.0.0.1:9/generate"})


@pytest.fixture
async def other_js(
    nats_server: NatsServer, js: JetStreamContext
) -> AsyncIterator[JetStreamContext]:
    """A second connection, as a second gateway replica would have; buckets provisioned."""
    await bus.provision(js, EaselSettings(), MODELS)
    other: Client = await nats.connect(nats_server.url)
    yield other.jetstream()
    await other.close()


class FakeClock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


async def limiters(
    js: JetStreamContext, other_js: JetStreamContext, clock: FakeClock
) -> tuple[RateLimiter, RateLimiter]:
    return (
        RateLimiter(await js.key_value(bus.RATE_LIMIT_BUCKET), limit=10, window=60, clock=clock),
        RateLimiter(
            await other_js.key_value(bus.RATE_LIMIT_BUCKET), limit=10, window=60, clock=clock
        ),
    )


async def test_the_limit_holds_across_replicas_under_contention(
    js: JetStreamContext, other_js: JetStreamContext
) -> None:
    a, b = await limiters(js, other_js, FakeClock(1_000.0))
    # 16 concurrent requests of one user, half through each replica.
    decisions = await asyncio.gather(*(lim.acquire(42) for lim in (a, b) * 8))
    assert sum(d.allowed for d in decisions) == 10
    refused = [d for d in decisions if not d.allowed]
    assert all(d.retry_after == pytest.approx(60.0) for d in refused)
    # The stored window has exactly the ten admitted requests.
    entry = await (await js.key_value(bus.RATE_LIMIT_BUCKET)).get("user_42")
    assert entry.value is not None
    assert entry.value.count(b",") == 9


async def test_the_window_slides_and_users_are_independent(
    js: JetStreamContext, other_js: JetStreamContext
) -> None:
    clock = FakeClock(1_000.0)
    a, b = await limiters(js, other_js, clock)
    for i in range(10):
        clock.now = 1_000.0 + i
        assert (await (a if i % 2 else b).acquire(7)).allowed
    clock.now = 1_030.0
    refused = await b.acquire(7)
    assert not refused.allowed
    assert refused.retry_after == pytest.approx(30.0)  # the request at 1000.0 leaves at 1060.0
    assert (await a.acquire(8)).allowed  # another user has a window of their own
    clock.now = 1_060.0
    assert (await a.acquire(7)).allowed
    assert not (await b.acquire(7)).allowed  # the slot that opened is taken again


async def test_a_job_is_claimed_once_across_replicas(
    js: JetStreamContext, other_js: JetStreamContext
) -> None:
    a = JobClaims(await js.key_value(bus.JOB_CLAIMS_BUCKET))
    b = JobClaims(await other_js.key_value(bus.JOB_CLAIMS_BUCKET))
    results = await asyncio.gather(*(claims.claim("tg_1_1") for claims in (a, b) * 4))
    assert sorted(results) == [False] * 7 + [True]
    assert await a.claim("tg_1_2")  # a different message is a different job


async def test_a_corrupt_window_is_treated_as_empty(
    js: JetStreamContext, other_js: JetStreamContext
) -> None:
    kv = await js.key_value(bus.RATE_LIMIT_BUCKET)
    await kv.put("user_5", b"{not json")
    a, _ = await limiters(js, other_js, FakeClock(1_000.0))
    assert (await a.acquire(5)).allowed
    assert (await kv.get("user_5")).value == b"[1000.0]"
