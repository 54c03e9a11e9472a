"""The bus on a real 3-node JetStream cluster: everything provisioned at 3 replicas, and a
stream's leader SIGKILLed while jobs flow loses and duplicates nothing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from nats.aio.client import Client
from nats.js import JetStreamContext

from easel import bus
from easel.events import PromptEnhanced
from easel.settings import EaselSettings
from easel_devtools.harness.cluster import NatsCluster
from easel_devtools.testing import REGISTRY, enhanced

R3 = EaselSettings(stream_replicas=3)


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[NatsCluster]:
    with NatsCluster(tmp_path / "cluster") as running:
        yield running


@pytest.fixture
async def cjs(cluster: NatsCluster) -> AsyncIterator[JetStreamContext]:
    nc: Client = await bus.connect(cluster.url, "easel-test")
    yield nc.jetstream(timeout=10)
    await nc.close()


async def test_every_stream_and_bucket_has_three_replicas(cjs: JetStreamContext) -> None:
    await bus.provision(cjs, R3, REGISTRY)
    for stream in (bus.REQUESTS, bus.PROMPTS, bus.RESULTS, bus.HISTORY, bus.DLQ):
        info = await cjs.stream_info(stream)
        assert info.config.num_replicas == 3, stream
        assert info.cluster is not None, stream
        assert len(info.cluster.replicas or []) == 2, stream  # beside the leader
    for bucket in (bus.JOBS_BUCKET, bus.ENDINGS_BUCKET, bus.CONTROLS_BUCKET):
        info = await cjs.stream_info(f"KV_{bucket}")
        assert info.config.num_replicas == 3, bucket


async def test_a_killed_stream_leader_loses_and_duplicates_nothing(
    cluster: NatsCluster, cjs: JetStreamContext
) -> None:
    await bus.provision(cjs, R3, REGISTRY)
    jobs = [f"tg_1_{n}" for n in range(60)]
    leader = await asyncio.to_thread(cluster.leader_of, bus.PROMPTS)
    for n, job_id in enumerate(jobs):
        if n == 20:
            cluster.nodes[leader].stop(kill=True)  # SIGKILL, mid-stream
        if n == 40:
            await asyncio.to_thread(cluster.nodes[leader].start)
        # A publish during the election is retried: the same Msg-Id, so stored once.
        await bus.publish(cjs, enhanced(job_id))
    assert await asyncio.to_thread(cluster.leader_of, bus.PROMPTS) != ""
    # Its consumer may still be electing a leader (503): retried as the services do.
    generator = await bus.retry_transient(cjs.pull_subscribe_bind)(
        durable=bus.generator_consumer("flux"), stream=bus.PROMPTS
    )
    seen = []
    while len(seen) < len(jobs):
        [msg] = await generator.fetch(1, timeout=10)  # capacity 1: one at a time
        seen.append(PromptEnhanced.model_validate_json(msg.data).job_id)
        await msg.ack_sync()
    assert seen == jobs  # all, once each, in order
