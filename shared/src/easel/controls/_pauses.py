"""Pausing a model: its generator consumer is paused in JetStream (server 2.11+), so the
waiting jobs keep their order and nothing reaches the backend until it resumes; the reason
stays in KV `easel_controls` (`pause.<model>`) for the users and `/stats`.

The consumer's pause outlives a generator restart: provisioning updates a consumer's
config without touching `pause_until`."""

from __future__ import annotations

import time
from dataclasses import dataclass

from nats.js import JetStreamContext
from nats.js.errors import NotFoundError
from nats.js.kv import KeyValue
from pydantic import BaseModel, ConfigDict, Field

from easel import bus
from easel.controls._records import read, write

_PREFIX = "pause."
_FOREVER = "9999-12-31T23:59:59Z"  # until resumed by hand
MAX_REASON_CHARS = 200


class Pause(BaseModel):
    model_config = ConfigDict(frozen=True)

    model: str
    reason: str = Field(max_length=MAX_REASON_CHARS)
    by: str  # "telegram:<admin id>" or "cli"
    at: float  # unix time


@dataclass(frozen=True)
class ModelPauses:
    js: JetStreamContext
    kv: KeyValue

    # The KV record is what users are told, and its change is what makes the notifier
    # re-render: it follows the consumer's pause and precedes its resumption.
    async def pause(self, model: str, reason: str, by: str) -> Pause:
        pause = Pause(model=model, reason=reason.strip(), by=by, at=time.time())
        await self.js.pause_consumer(bus.PROMPTS, bus.generator_consumer(model), _FOREVER)
        await write(self.kv, f"{_PREFIX}{model}", pause)
        return pause

    async def resume(self, model: str) -> bool:
        """False if the model was not paused."""
        was = await self.of(model)
        await self.kv.delete(f"{_PREFIX}{model}")
        await self.js.resume_consumer(bus.PROMPTS, bus.generator_consumer(model))
        return was is not None

    async def of(self, model: str) -> Pause | None:
        return await read(self.kv, f"{_PREFIX}{model}", Pause)

    @staticmethod
    def subject(model: str) -> str:
        """Where a change of the model's pause is published (KV is a stream)."""
        return f"$KV.{bus.CONTROLS_BUCKET}.{_PREFIX}{model}"

    async def consumer_paused(self, model: str) -> bool:
        """What JetStream says, beside the reason kept in KV."""
        try:
            info = await self.js.consumer_info(bus.PROMPTS, bus.generator_consumer(model))
        except NotFoundError:
            return False
        return bool(info.paused)
