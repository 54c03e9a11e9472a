"""The bus against a real nats-server: provisioning, dedupe, the consume loop's decisions."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
import stamina
import structlog
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, KeyValueConfig

from easel import bus
from easel.events import ImageRequested, JobContext
from easel.settings import EaselSettings, load_registry
from easel_devtools.testing import settled

REGISTRY = load_registry(
    {"FLUX_WORKER_URL": "http://127.0.0.1:1/f", "SDXL_WORKER_URL": "http://127.0.0.1:1/s"}
)


def requested(job_id: str, model: str = "flux") -> ImageRequested:
    job = JobContext(original_prompt="a cat", requested_at=datetime.now(UTC))
    return ImageRequested(job_id=job_id, model=model, job=job)


async def test_provision_is_idempotent_and_sets_capacity(js: JetStreamContext) -> None:
    settings = EaselSettings()
    await asyncio.gather(*(bus.provision(js, settings, REGISTRY) for _ in range(3)))
    info = await js.consumer_info(bus.PROMPTS, bus.generator_consumer("flux"))
    assert info.config.max_ack_pending == 1
    assert info.config.filter_subject == "prompt.enhanced.flux"
    stream = await js.stream_info(bus.REQUESTS)
    assert stream.config.max_age == settings.stream_max_age_seconds


async def test_every_bucket_that_could_grow_forever_has_a_ttl(js: JetStreamContext) -> None:
    # A rate-limit bucket made without a TTL (as before it had one) gets it.
    await js.create_key_value(KeyValueConfig(bucket=bus.RATE_LIMIT_BUCKET, history=1))
    await bus.provision(js, EaselSettings(), REGISTRY)
    ttls = {
        bucket: (await (await js.key_value(bucket)).status()).ttl
        for bucket in (
            bus.RATE_LIMIT_BUCKET,
            bus.JOB_CLAIMS_BUCKET,
            bus.ACTIVE_JOBS_BUCKET,
            bus.ENDINGS_BUCKET,
            bus.DELIVERIES_BUCKET,
            bus.JOBS_BUCKET,
            bus.LEASE_BUCKET,
        )
    }
    assert ttls[bus.RATE_LIMIT_BUCKET] == 86_400
    assert all(ttls.values()), ttls


async def test_duplicate_publish_is_deduplicated(js: JetStreamContext) -> None:
    await bus.provision(js, EaselSettings(), REGISTRY)
    first = await bus.publish(js, requested("tg_1_1"))
    again = await bus.publish(js, requested("tg_1_1"))
    assert not first.duplicate
    assert again.duplicate is True
    assert (await js.stream_info(bus.REQUESTS)).state.messages == 1


async def test_consumer_loop_terms_poison_and_acks_good(js: JetStreamContext) -> None:
    await bus.provision(js, EaselSettings(), REGISTRY)
    await js.publish("image.requested.flux", b"{not json")
    await bus.publish(js, requested("tg_1_2"))
    seen: list[str] = []
    stop = asyncio.Event()

    async def handle(event: ImageRequested, delivery: bus.Delivery) -> bus.Outcome:
        seen.append(event.job_id)
        stop.set()
        return bus.ACK

    loop = bus.ConsumerLoop(
        js,
        stream=bus.REQUESTS,
        durable=bus.ENHANCER,
        decode=bus.decoder(ImageRequested).validate_json,
        handler=handle,
        workers=2,
        heartbeat=1.0,
        fetch_timeout=1.0,
    )
    await asyncio.wait_for(loop.run(stop, grace=5), timeout=15)
    assert seen == ["tg_1_2"]
    # Both settled: the poison message was terminated, not left pending for a redelivery.
    info = await settled(js, bus.REQUESTS, bus.ENHANCER)
    assert info.num_pending == 0


@pytest.mark.parametrize(("attempt", "expected"), [(1, 1.0), (2, 2.0), (4, 8.0), (30, 60.0)])
def test_retry_delay_backs_off_and_caps(attempt: int, expected: float) -> None:
    assert bus.retry_delay(attempt) == expected


async def test_a_publish_waits_out_a_jetstream_that_is_not_there_yet(
    js: JetStreamContext,
) -> None:
    """A restarting server answers "no responders": nothing was stored, so it is retried."""
    failed = asyncio.Event()
    hooks = stamina.instrumentation.get_on_retry_hooks()
    stamina.instrumentation.set_on_retry_hooks([lambda details: failed.set()])
    try:
        publishing = asyncio.create_task(bus.publish(js, requested("tg_1_9")))
        await asyncio.wait_for(failed.wait(), timeout=5)
        await bus.provision(js, EaselSettings(), REGISTRY)
        ack = await asyncio.wait_for(publishing, timeout=15)
    finally:
        stamina.instrumentation.set_on_retry_hooks(hooks)
    assert ack.stream == bus.REQUESTS
    assert (await js.stream_info(bus.REQUESTS)).state.messages == 1


async def test_a_message_handed_out_again_while_being_handled_is_not_handled_twice_at_once(
    js: JetStreamContext,
) -> None:
    # A nats-server that restarted hard can forget it handed a message out; here the
    # lease simply runs out (ack_wait 1 s, no in-progress within it), with the same effect.
    await bus.provision(js, EaselSettings(), REGISTRY)
    await js.add_consumer(
        bus.REQUESTS,
        ConsumerConfig(durable_name="twice", ack_policy=AckPolicy.EXPLICIT, ack_wait=1.0),
    )
    await bus.publish(js, requested("tg_1_9"))
    stop, release = asyncio.Event(), asyncio.Event()
    running, most_at_once, attempts = 0, 0, []

    async def handle(event: ImageRequested, delivery: bus.Delivery) -> bus.Outcome:
        nonlocal running, most_at_once
        running += 1
        most_at_once = max(most_at_once, running)
        attempts.append(delivery.attempt)
        try:
            await release.wait()
        finally:
            running -= 1
        stop.set()
        return bus.ACK

    loop = bus.ConsumerLoop(
        js,
        stream=bus.REQUESTS,
        durable="twice",
        decode=bus.decoder(ImageRequested).validate_json,
        handler=handle,
        workers=2,
        heartbeat=30.0,  # no in-progress ack before the lease runs out
        fetch_timeout=1.0,
    )
    with structlog.testing.capture_logs() as logs:
        task = asyncio.create_task(loop.run(stop, grace=5))
        async with asyncio.timeout(10):
            while not any(e["event"] == "bus.already_handling" for e in logs):  # noqa: ASYNC110
                await asyncio.sleep(0.05)  # a log line has no awaitable notice
        release.set()
        await asyncio.wait_for(task, timeout=15)
    assert most_at_once == 1
    assert attempts[0] == 1
