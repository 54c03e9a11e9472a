"""The job view against a real nats-server: the projector folds EASEL_HISTORY into KV as
events come, redelivered or not; `easel jobs rebuild` makes the same view from the log
alone; an owner's jobs list newest first; `easel job <id>` prints the timeline."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from nats.js import JetStreamContext

from easel import bus, jobs
from easel.cli import main
from easel.events import (
    JobEvent,
)
from easel.jobs import JobRecord, JobState, JobStore, Projector
from easel.natsserver import NatsServer
from easel.settings import EaselSettings
from easel_devtools.testing import REGISTRY, Letters, holding, journey, settled


@pytest.fixture
async def store(js: JetStreamContext) -> JobStore:
    await bus.provision(js, EaselSettings(), REGISTRY)
    return JobStore(await js.key_value(bus.JOBS_BUCKET))


@pytest.fixture
async def projector(js: JetStreamContext, store: JobStore) -> AsyncIterator[None]:
    loop = bus.ConsumerLoop(
        js,
        stream=bus.HISTORY,
        durable=bus.PROJECTOR,
        decode=jobs.decode_job_event,
        handler=Projector(store).handle,
        workers=4,
        heartbeat=10,
        letters=False,
    )
    stop = asyncio.Event()
    task = asyncio.create_task(loop.run(stop))
    yield
    stop.set()
    await asyncio.wait_for(task, timeout=30)


async def publish_all(js: JetStreamContext, events: list[JobEvent]) -> int:
    for event in events:
        await bus.publish(js, event, source="test")
    last = await holding(js, bus.HISTORY, len(events))
    await settled(js, bus.HISTORY, bus.PROJECTOR, last)
    return last


async def every_record(store: JobStore, job_ids: list[str]) -> dict[str, JobRecord | None]:
    return {job_id: await store.get(job_id) for job_id in job_ids}


@pytest.mark.usefixtures("projector")
async def test_the_view_follows_the_events_and_a_refold_changes_nothing(
    js: JetStreamContext, store: JobStore
) -> None:
    events = journey("tg_1_1", 1, "delivered", datetime.now(UTC))
    await publish_all(js, events[:4])
    record = await store.get("tg_1_1")
    assert record is not None
    assert (record.state, record.prompt) == (JobState.GENERATING, "a ginger cat")
    await publish_all(js, events)  # the first four again: deduplicated by Nats-Msg-Id
    record = await store.get("tg_1_1")
    assert record is not None
    assert (record.state, record.file_id) == (JobState.DELIVERED, "file-tg_1_1")
    assert len(record.events) == len(events)
    # A redelivery, after the fact: applying an event again writes nothing.
    kv = await js.key_value(bus.JOBS_BUCKET)
    revision = (await kv.get("job.tg_1_1")).revision
    assert await store.apply(events[2], record.events[2]) == record
    assert (await kv.get("job.tg_1_1")).revision == revision


@pytest.mark.usefixtures("projector")
async def test_rebuild_makes_the_same_view_from_the_log(
    js: JetStreamContext, store: JobStore, nats_server: NatsServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = random.Random(7)
    now = datetime.now(UTC)
    plans = [
        (f"tg_{user}_{n}", user, rng.choice(["delivered", "failed", "cancelled"]))
        for user in (11, 12, 13)
        for n in range(8)
    ]
    events = [
        e
        for i, (job_id, user, ending) in enumerate(plans)
        for e in journey(job_id, user, ending, now - timedelta(minutes=i))
    ]
    rng.shuffle(events)  # interleaved across jobs, and out of order within one
    await publish_all(js, events)
    live = await every_record(store, [job_id for job_id, _, _ in plans])
    assert all(record is not None for record in live.values())
    assert {r.state.value for r in live.values() if r} == {"delivered", "failed", "cancelled"}

    monkeypatch.setenv("NATS_URL", nats_server.url)
    monkeypatch.chdir(nats_server.store_dir)  # no developer's .env
    with pytest.raises(SystemExit) as done:
        await asyncio.to_thread(main, ["jobs", "rebuild"])
    assert done.value.code == 0
    rebuilt = await every_record(store, [job_id for job_id, _, _ in plans])
    assert rebuilt == live
    assert not (await js.consumer_info(bus.HISTORY, bus.PROJECTOR)).paused


@pytest.mark.usefixtures("projector")
async def test_an_owners_jobs_list_newest_first(js: JetStreamContext, store: JobStore) -> None:
    now = datetime.now(UTC)
    events = [
        e
        for age, job_id in ((3, "tg_21_1"), (1, "tg_21_2"), (2, "tg_21_3"))
        for e in journey(job_id, 21, "delivered", now - timedelta(minutes=age))
    ]
    events += journey("tg_22_1", 22, "delivered", now)  # someone else's
    await publish_all(js, events)
    newest = await store.of_owner("telegram_21", limit=2)
    assert [r.job_id for r in newest] == ["tg_21_2", "tg_21_3"]
    assert [r.job_id for r in await store.of_owner("telegram_21", limit=10)] == [
        "tg_21_2",
        "tg_21_3",
        "tg_21_1",
    ]
    assert await store.of_owner("telegram_99", limit=10) == []


@pytest.mark.usefixtures("projector")
async def test_easel_job_prints_the_timeline_with_who_published_each_event(
    js: JetStreamContext,
    nats_server: NatsServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    await publish_all(js, journey("tg_31_1", 31, "failed", datetime.now(UTC)))
    monkeypatch.setenv("NATS_URL", nats_server.url)
    monkeypatch.chdir(nats_server.store_dir)
    with pytest.raises(SystemExit) as done:
        await asyncio.to_thread(main, ["job", "tg_31_1"])
    assert done.value.code == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "job tg_31_1 · flux · failed · telegram 31"
    body = out[2:]
    assert [
        line.split()[2] if line.split()[1].startswith("+") else line.split()[1] for line in body
    ] == [
        "image.requested",
        "prompt.enhancing",
        "prompt.enhanced",
        "image.started",
        "image.failed",
    ]
    assert all("test" in line.split() for line in body)  # each publish's Easel-Source
    assert "timeout after 1 attempt(s)" in body[-1]
    assert "a cat" not in "\n".join(out)  # never a prompt
    with pytest.raises(SystemExit) as missing:
        await asyncio.to_thread(main, ["job", "tg_no_such"])
    assert missing.value.code == 1


@pytest.mark.usefixtures("projector")
async def test_poison_in_the_history_is_given_up_without_a_second_letter(
    js: JetStreamContext, nc: Any, store: JobStore
) -> None:
    letters = await Letters.watch(nc)
    await js.publish("image.started.flux", b"{not json")
    events = journey("tg_41_1", 41, "delivered", datetime.now(UTC))
    last = await publish_all(js, events)  # after the poison, and still projected
    info = await settled(js, bus.HISTORY, bus.PROJECTOR, last)
    assert info.num_ack_pending == 0
    assert (await store.get("tg_41_1")) is not None
    assert letters.seen == []  # its original's consumer dead-letters it, not the projector


async def test_a_read_may_wait_for_a_job_the_view_has_not_caught_up_with(
    store: JobStore,
) -> None:
    first, *_ = journey("tg_9_1", 9, "delivered", datetime.now(UTC))
    waiting = asyncio.create_task(store.get("tg_9_1", within=10))
    await store.apply(first, 1)  # the projector, a moment later
    record = await asyncio.wait_for(waiting, 10)
    assert record is not None
    assert record.state is JobState.QUEUED
    assert await store.get("tg_9_2", within=0.2) is None  # never there: none, soon
