"""Where the jobs waiting in a model's queue stand, read from the server once.

The queue is the model's `prompt.enhanced.<model>` messages its generator durable has not
been handed yet, in stream order (the notifier's `queue_watch` follows the same queue
continuously for the status messages).
"""

from __future__ import annotations

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
