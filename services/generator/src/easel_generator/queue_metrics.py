"""Queue depth and oldest wait per model, sampled from the consumer's state on the server.

Read from JetStream rather than counted here, so every replica reports the same truth
and nothing drifts across restarts (dashboards take max() over replicas).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import nats.errors
import structlog
from nats.js import JetStreamContext

from easel import bus
from easel.events import PromptEnhanced
from easel.runtime import every
from easel.settings import ModelRegistry
from easel_generator.metrics import QUEUE_DEPTH, QUEUE_OLDEST_AGE

log = structlog.get_logger("easel.generator")


async def sample_queues(
    js: JetStreamContext, registry: ModelRegistry, stop: asyncio.Event, interval: float = 5.0
) -> None:
    async for _ in every(interval, stop):
        for name in registry.names:
            try:
                await _sample(js, name)
            except (nats.errors.Error, ValueError) as error:
                log.debug("generator.queue_sample_failed", model=name, error=repr(error))


async def _sample(js: JetStreamContext, model: str) -> None:
    info = await js.consumer_info(bus.PROMPTS, bus.generator_consumer(model))
    QUEUE_DEPTH.labels(model).set(info.num_pending + (info.num_ack_pending or 0))
    age = 0.0
    if info.num_pending:
        # The first waiting job is the model's next message after the last one delivered.
        first = await js.get_msg(
            bus.PROMPTS,
            seq=(info.delivered.stream_seq or 0) + 1,
            subject=f"prompt.enhanced.{model}",
            next=True,
        )
        entered = PromptEnhanced.model_validate_json(first.data or b"").occurred_at
        age = max((datetime.now(UTC) - entered).total_seconds(), 0.0)
    QUEUE_OLDEST_AGE.labels(model).set(age)
