"""Job claims, rate windows and fair shares live in NATS KV, so they hold across gateway
replicas: here two of each, on two separate NATS connections, share one server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any, cast

import nats
import nats.errors
import pytest
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.kv import KeyValue

from easel import bus
from easel.jobs import Ending, Endings
from easel.natsserver import NatsServer
from easel.settings import EaselSettings, load_registry
from easel_gateway.stores.active_jobs import ActiveJobs
from easel_gateway.stores.claims import ClaimLost, HeldClaim, JobClaims
from easel_gateway.stores.rate_limits import RateLimiter

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
    decisions = await asyncio.gather(*(lim.acquire("user_42") for lim in (a, b) * 8))
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
        assert (await (a if i % 2 else b).acquire("user_7")).allowed
    clock.now = 1_030.0
    refused = await b.acquire("user_7")
    assert not refused.allowed
    assert refused.retry_after == pytest.approx(30.0)  # the request at 1000.0 leaves at 1060.0
    assert (await a.acquire("user_8")).allowed  # another user has a window of their own
    clock.now = 1_060.0
    assert (await a.acquire("user_7")).allowed
    assert not (await b.acquire("user_7")).allowed  # the slot that opened is taken again


async def claim_stores(
    js: JetStreamContext, other_js: JetStreamContext, stale_after: float = 30.0, **clocks: FakeClock
) -> tuple[JobClaims, JobClaims]:
    """Two replicas' views of the claims bucket; `a`/`b` clocks are optional."""
    return (
        JobClaims(
            await js.key_value(bus.JOB_CLAIMS_BUCKET),
            stale_after=stale_after,
            **_clock(clocks, "a"),
        ),
        JobClaims(
            await other_js.key_value(bus.JOB_CLAIMS_BUCKET),
            stale_after=stale_after,
            **_clock(clocks, "b"),
        ),
    )


def _clock(clocks: dict[str, FakeClock], name: str) -> dict[str, FakeClock]:
    return {"clock": clocks[name]} if name in clocks else {}


async def race(stores: tuple[JobClaims, JobClaims], job: str) -> list[HeldClaim | None]:
    """Eight concurrent claims, half through each replica; the one that gets the claim
    settles it, as its request would, so the waiting duplicates can drop."""
    contenders = [asyncio.create_task(claims.claim(job)) for claims in stores * 4]
    done, _ = await asyncio.wait(contenders, timeout=10, return_when=asyncio.FIRST_COMPLETED)
    [winner] = [task.result() for task in done]  # the others wait for it to settle
    assert winner is not None
    await stores[0].settle(winner)  # any replica's store can: it compares the revision
    async with asyncio.timeout(10):  # far below stale_after: woken by the change itself
        return await asyncio.gather(*contenders)


async def test_a_job_is_claimed_once_across_replicas(
    js: JetStreamContext, other_js: JetStreamContext
) -> None:
    a, b = await claim_stores(js, other_js)
    results = await race((a, b), "tg_1_1")
    [held] = [r for r in results if r is not None]
    assert held.status_message_id is None
    assert await a.claim("tg_1_2") is not None  # a different message is a different job


async def test_duplicates_wait_for_the_holder_and_then_drop(
    js: JetStreamContext, other_js: JetStreamContext
) -> None:
    a, b = await claim_stores(js, other_js)
    held = await a.claim("tg_1_1")
    assert held is not None
    waiting = [asyncio.create_task(claims.claim("tg_1_1")) for claims in (a, b) * 3]
    # While the holder may still die, a duplicate is neither a job nor dropped.
    done, _ = await asyncio.wait(waiting, timeout=0.5)
    assert done == set()
    held = await a.record_status(held, 555)
    await a.settle(held)
    async with asyncio.timeout(5):  # far below stale_after: woken by the change itself
        assert await asyncio.gather(*waiting) == [None] * 6


async def test_a_claim_left_pending_is_taken_over_with_its_status_message(
    js: JetStreamContext, other_js: JetStreamContext
) -> None:
    """A replica died between sending the status message and publishing."""
    clock_a, clock_b = FakeClock(1_000.0), FakeClock(1_000.0)
    a, b = await claim_stores(js, other_js, a=clock_a, b=clock_b)
    held = await a.claim("tg_1_1")
    assert held is not None
    stalled = await a.record_status(held, 555)
    clock_b.now = 1_030.0  # stale_after later, the update is delivered again
    taken = await b.claim("tg_1_1")
    assert taken is not None
    assert taken.status_message_id == 555  # the message the user already sees
    with pytest.raises(ClaimLost):  # the old holder, had it only stalled, stops
        await a.settle(stalled)
    await b.settle(taken)
    assert await a.claim("tg_1_1") is None


async def test_only_one_redelivery_takes_a_stale_claim_over(
    js: JetStreamContext, other_js: JetStreamContext
) -> None:
    clock = FakeClock(1_000.0)
    a, b = await claim_stores(js, other_js, a=clock, b=clock)
    assert await a.claim("tg_1_1") is not None
    clock.now = 2_000.0
    results = await race((a, b), "tg_1_1")
    assert sum(r is not None for r in results) == 1


async def test_a_one_phase_claim_from_before_counts_as_settled(
    js: JetStreamContext, other_js: JetStreamContext
) -> None:
    a, _ = await claim_stores(js, other_js)
    await (await js.key_value(bus.JOB_CLAIMS_BUCKET)).put("tg_1_1", b"claimed")
    assert await a.claim("tg_1_1") is None


async def test_a_corrupt_window_is_treated_as_empty(
    js: JetStreamContext, other_js: JetStreamContext
) -> None:
    kv = await js.key_value(bus.RATE_LIMIT_BUCKET)
    await kv.put("user_5", b"{not json")
    a, _ = await limiters(js, other_js, FakeClock(1_000.0))
    assert (await a.acquire("user_5")).allowed
    assert (await kv.get("user_5")).value == b"[1000.0]"


class LostAnswers:
    """The claims or rate-limit bucket, except that the server's answer to the next `lose`
    writes is lost after the write was stored: a timeout, as across a server restart."""

    def __init__(self, kv: KeyValue) -> None:
        self._kv = kv
        self.lose = 0

    async def create(self, key: str, value: bytes) -> int:
        return self._answer(await self._kv.create(key, value))

    async def update(self, key: str, value: bytes, last: int | None = None) -> int:
        return self._answer(await self._kv.update(key, value, last=last))

    def _answer(self, revision: int) -> int:
        if self.lose:
            self.lose -= 1
            raise nats.errors.TimeoutError
        return revision

    def __getattr__(self, name: str) -> Any:
        return getattr(self._kv, name)


async def test_a_claim_step_whose_answer_was_lost_is_recognised_by_its_repeat(
    js: JetStreamContext,
) -> None:
    await bus.provision(js, EaselSettings(), MODELS)
    kv = LostAnswers(await js.key_value(bus.JOB_CLAIMS_BUCKET))
    store = JobClaims(cast(KeyValue, kv), stale_after=30.0)
    async with asyncio.timeout(5):  # far below stale_after: not waited out as another's
        kv.lose = 1
        held = await store.claim("tg_1_1")
        assert held is not None
        assert (held.status_message_id, held.taken_over) == (None, False)
        kv.lose = 1
        held = await store.record_status(held, 555)  # no ClaimLost: the record is its own
        kv.lose = 1
        await store.settle(held)
    assert kv.lose == 0  # every answer was lost once, and every step repeated
    assert await store.claim("tg_1_1") is None  # settled
    entry = await (await js.key_value(bus.JOB_CLAIMS_BUCKET)).get("tg_1_1")
    assert entry.revision == 3  # each step written once: create, status, done


async def test_a_lost_answer_lets_the_request_through_charged_at_most_once(
    js: JetStreamContext,
) -> None:
    await bus.provision(js, EaselSettings(), MODELS)
    kv = LostAnswers(await js.key_value(bus.RATE_LIMIT_BUCKET))
    limiter = RateLimiter(cast(KeyValue, kv), limit=2, window=60, clock=FakeClock(1_000.0))
    kv.lose = 1
    assert (
        await limiter.acquire("user_9")
    ).allowed  # stored, answer lost: not failed, not repeated
    assert (await limiter.acquire("user_9")).allowed
    assert not (await limiter.acquire("user_9")).allowed  # two slots were taken, not three


async def active_jobs(
    js: JetStreamContext, other_js: JetStreamContext, clock: FakeClock, limit: int = 3
) -> tuple[ActiveJobs, ActiveJobs]:
    """Two replicas' fair shares, over one endings bucket."""
    stores = []
    for conn in (js, other_js):
        endings = Endings(await conn.key_value(bus.ENDINGS_BUCKET))
        kv = await conn.key_value(bus.ACTIVE_JOBS_BUCKET)
        stores.append(ActiveJobs(kv, endings, limit=limit, stale_after=1_200, clock=clock))
    return stores[0], stores[1]


async def test_the_fair_share_holds_across_replicas_and_an_ending_frees_a_place(
    js: JetStreamContext, other_js: JetStreamContext
) -> None:
    clock = FakeClock(1_000.0)
    a, b = await active_jobs(js, other_js, clock)
    # Ten requests of one user at once, half through each replica.
    admissions = await asyncio.gather(
        *(store.admit("user_42", f"tg_42_{n}") for n, store in enumerate((a, b) * 5))
    )
    admitted = [f"tg_42_{n}" for n, adm in enumerate(admissions) if adm.allowed]
    assert len(admitted) == 3
    assert (await a.admit("user_42", admitted[0])).allowed  # the same job again: its own place
    assert not (await b.admit("user_42", "tg_42_new")).allowed
    assert (await a.admit("user_43", "tg_43_1")).allowed  # another user has a share of their own
    # One ends (any ending): its place is free, through either replica.
    await Endings(await js.key_value(bus.ENDINGS_BUCKET)).claim(admitted[1], Ending.CANCELLED)
    assert (await b.admit("user_42", "tg_42_new")).allowed
    assert not (await a.admit("user_42", "tg_42_newer")).allowed
    # A job that never got an ending stops counting once stale.
    clock.now += 1_200
    assert (await a.admit("user_42", "tg_42_newer")).allowed
