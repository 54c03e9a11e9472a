"""Queue depth and oldest wait come from the consumer's state on a real server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from nats.js import JetStreamContext
from prometheus_client import REGISTRY as METRICS

from easel import bus
from easel.events import JobContext, PromptEnhanced
from easel.settings import EaselSettings, load_registry
from easel_generator.queue_metrics import _sample

REGISTRY = load_registry({"FLUX_WORKER_URL": "http://127.0.0.1:9/generate"})


def enhanced(job_id: str, entered: datetime) -> PromptEnhanced:
    job = JobContext(original_prompt="a cat", requested_at=entered)
    return PromptEnhanced(
        job_id=job_id, model="flux", job=job, prompt="a cat", enhanced=True, occurred_at=entered
    )


def gauge(name: str) -> float | None:
    return METRICS.get_sample_value(name, {"model": "flux"})


async def test_depth_counts_waiting_and_running_and_age_is_the_oldest_waiting(
    js: JetStreamContext,
) -> None:
    await bus.provision(js, EaselSettings(), REGISTRY)
    now = datetime.now(UTC)
    for n, minutes_ago in enumerate((30, 20, 10)):
        await bus.publish(js, enhanced(f"job_{n}", now - timedelta(minutes=minutes_ago)))

    await _sample(js, "flux")
    assert gauge("easel_queue_depth") == 3
    assert 29 * 60 < (gauge("easel_queue_oldest_age_seconds") or 0) < 31 * 60

    # The generator takes the oldest job: still in the queue, but no longer waiting.
    sub = await js.pull_subscribe_bind(durable=bus.generator_consumer("flux"), stream=bus.PROMPTS)
    (running,) = await sub.fetch(1, timeout=5)
    await _sample(js, "flux")
    assert gauge("easel_queue_depth") == 3
    assert 19 * 60 < (gauge("easel_queue_oldest_age_seconds") or 0) < 21 * 60

    await running.ack_sync()
    await _sample(js, "flux")
    assert gauge("easel_queue_depth") == 2
