"""Jobs on a `prompt.enhanced.<model>` subject that no generator here serves.

The stream takes every `prompt.enhanced.*` subject, but consumers exist only for configured
models: a job for any other model (registries that disagree, a hand-made publish) would sit
in the stream unseen until its max_age. Each sweep finds such subjects and logs them. A job
there that is past its deadline fails as `unknown_model` (the user hears it), is dead-lettered
(consumer `unrouted`) and deleted from the stream; the deadline is the grace that lets a
replica with a newer registry serve a model this one does not know yet. A body that does not
decode is dead-lettered at once: nobody could ever serve it.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime

import nats.errors
import structlog
from nats.js import JetStreamContext
from nats.js.api import RawStreamMsg
from nats.js.errors import NotFoundError

from easel import bus
from easel.events import ErrorCode, ImageFailed, PromptEnhanced
from easel.runtime import every
from easel.settings import ModelRegistry

log = structlog.get_logger("easel.generator")

UNROUTED = "unrouted"  # the dead letters' consumer name: no consumer saw these jobs
_PREFIX = "prompt.enhanced."
_PER_SUBJECT = 100  # per sweep, so one flooded subject cannot stall the others
_decode = bus.decoder(PromptEnhanced).validate_json


async def sweep_unrouted(
    js: JetStreamContext,
    registry: ModelRegistry,
    stop: asyncio.Event,
    deadline_seconds: float,
    interval: float = 5.0,
) -> None:
    async for _ in every(interval, stop):
        try:
            await sweep_once(js, registry, deadline_seconds)
        except nats.errors.Error as error:
            log.debug("generator.unrouted_sweep_failed", error=repr(error))


async def sweep_once(js: JetStreamContext, registry: ModelRegistry, deadline_seconds: float) -> int:
    """Settle what can be settled on unserved subjects; returns how many jobs were removed."""
    info = await js.stream_info(bus.PROMPTS, subjects_filter=f"{_PREFIX}*")
    removed = 0
    for subject, waiting in (info.state.subjects or {}).items():
        if registry.get(subject.removeprefix(_PREFIX)) is not None:
            continue
        log.warning("generator.unrouted_jobs", subject=subject, waiting=waiting)
        seq = 0
        for _ in range(min(waiting, _PER_SUBJECT)):
            try:
                msg = await js.get_msg(bus.PROMPTS, seq=seq + 1, subject=subject, next=True)
            except NotFoundError:
                break
            seq = msg.seq or seq + 1
            removed += await _settle(js, msg, subject, seq, deadline_seconds)
    return removed


async def _settle(
    js: JetStreamContext, msg: RawStreamMsg, subject: str, seq: int, deadline_seconds: float
) -> int:
    data = msg.data or b""
    try:
        event = _decode(data)
    except Exception as error:  # a poison body: dead-letter it as the consume loop would
        reason, detail = bus.rejection(error)
    else:
        if event.subject != subject:  # poison too: whoever it names is not to be trusted
            reason, detail = bus.Reason.WRONG_SUBJECT, f"{event.event_type} on {subject}"
        elif datetime.now(UTC) < event.job.deadline(deadline_seconds):
            return 0
        else:
            failed = ImageFailed.for_job(
                event, ErrorCode.UNKNOWN_MODEL, "no generator serves this model"
            )
            await bus.publish(js, failed, source="generator")
            reason, detail = bus.Reason.UNKNOWN_MODEL, f"no generator serves {event.model!r}"
    letter = bus.Letter(UNROUTED, bus.PROMPTS, subject, seq, 0, reason, detail, data, msg.headers)
    if not await bus.dead_letter(js, letter):
        return 0  # kept in the stream; the next sweep tries again
    with contextlib.suppress(NotFoundError):  # another replica was quicker
        await js.delete_msg(bus.PROMPTS, seq)
    return 1
