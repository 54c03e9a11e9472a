"""Where the jobs waiting in a model's queue stand, read from the server once.

The queue is the model's `prompt.enhanced.<model>` messages its generator durable has not
been handed yet, in stream order (the notifier's `queue_watch` follows the same queue
continuously for the status messages).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from nats.js import JetStreamContext
from nats.js.errors import NotFoundError
from pydantic import ValidationError

from easel import bus
from easel.events import PromptEnhanced

_decode = bus.decoder(PromptEnhanced).validate_json


async def positions(js: JetStreamContext, model: str, limit: int = 1_000) -> dict[str, int]:
    """The first `limit` waiting jobs of `model`, by job id, with their 1-based place."""
    info = await js.consumer_info(bus.PROMPTS, bus.generator_consumer(model))
    seq = (info.delivered.stream_seq or 0) + 1
    subject = f"prompt.enhanced.{model}"
    places: dict[str, int] = {}
    while len(places) < limit:
        try:
            msg = await js.get_msg(bus.PROMPTS, seq=seq, subject=subject, next=True)
        except NotFoundError:
            break
        seq = (msg.seq or seq) + 1
        try:
            job_id = _decode(msg.data or b"").job_id
        except ValidationError:
            continue  # poison: its consumer terms it; it does not hold a place
        places.setdefault(job_id, len(places) + 1)
    return places


@dataclass(frozen=True)
class QueueState:
    depth: int  # waiting or running: the consumer's num_pending + num_ack_pending
    oldest_wait: float  # seconds the first job still waiting has waited; 0 when none
    paused: bool  # an operator paused the model (`easel models pause`)


async def queue_state(js: JetStreamContext, model: str) -> QueueState:
    """Read from the consumer on the server, so every replica tells the same truth."""
    info = await js.consumer_info(bus.PROMPTS, bus.generator_consumer(model))
    age = 0.0
    if info.num_pending:
        # The first waiting job is the model's next message after the last one delivered.
        first = await js.get_msg(
            bus.PROMPTS,
            seq=(info.delivered.stream_seq or 0) + 1,
            subject=f"prompt.enhanced.{model}",
            next=True,
        )
        try:
            entered = _decode(first.data or b"").occurred_at
            age = max((datetime.now(UTC) - entered).total_seconds(), 0.0)
        except ValidationError:
            pass  # poison at the head: its consumer terms it
    depth = (info.num_pending or 0) + (info.num_ack_pending or 0)
    return QueueState(depth, age, bool(info.paused))
