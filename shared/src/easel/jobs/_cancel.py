"""A cancel, the same from every front door: claim the ending, then say so.

The claim decides: a job already being delivered, or already failed, is not cancelled, and
the caller hears which. A claim that wins, or finds its own (a second press, a retry after
a lost answer), publishes image.cancelled; Nats-Msg-Id keeps that to one event.
"""

from __future__ import annotations

from easel import bus
from easel.events import ImageCancelled, JobContext
from easel.jobs._endings import Ending, Endings


async def cancel(
    endings: Endings, publish: bus.Publish, job_id: str, model: str, context: JobContext
) -> Ending:
    """The job's ending after this cancel: CANCELLED, or the one that came first."""
    ending = await endings.claim(job_id, Ending.CANCELLED)
    if ending is Ending.CANCELLED:
        await publish(ImageCancelled(job_id=job_id, model=model, job=context))
    return ending
