"""Queue depth, oldest wait and pause per model, sampled from the consumer on the server.

Read from JetStream rather than counted here, so every replica reports the same truth
and nothing drifts across restarts (dashboards take max() over replicas).
"""

from __future__ import annotations

import asyncio

import nats.errors
import structlog
from nats.js import JetStreamContext

from easel.jobs import queue_state
from easel.runtime import every
from easel.settings import ModelRegistry
from easel_generator.metrics import MODEL_PAUSED, QUEUE_DEPTH, QUEUE_OLDEST_AGE

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
    state = await queue_state(js, model)
    QUEUE_DEPTH.labels(model).set(state.depth)
    QUEUE_OLDEST_AGE.labels(model).set(state.oldest_wait)
    MODEL_PAUSED.labels(model).set(1 if state.paused else 0)
