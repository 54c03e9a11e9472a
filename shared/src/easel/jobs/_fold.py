"""The job view's pure fold: one event → a record, and records merged.

`merge` is commutative, associative and idempotent (a join of what each record has seen),
so applying a job's events in any order, any number of times, gives one record: the live
projector under redelivery and reordering, and `easel jobs rebuild`, agree by construction.
"""

from __future__ import annotations

from typing import Any, TypeVar

from easel.events import (
    ApiRequester,
    ImageCancelled,
    ImageDelivered,
    ImageFailed,
    ImageGenerated,
    ImageRequested,
    ImageStarted,
    JobEvent,
    PromptEnhanced,
    PromptEnhancing,
)
from easel.jobs._record import STATE_ORDER, JobRecord, JobState, Owner

_STAGE_OF: dict[type[JobEvent], JobState] = {
    ImageRequested: JobState.QUEUED,
    PromptEnhancing: JobState.ENHANCING,
    PromptEnhanced: JobState.WAITING,
    ImageStarted: JobState.GENERATING,
    ImageGenerated: JobState.SENDING,
    ImageDelivered: JobState.DELIVERED,
    ImageFailed: JobState.FAILED,
    ImageCancelled: JobState.CANCELLED,
}
T = TypeVar("T")
_NOTHING_SAID: dict[str, Any] = {
    "prompt": None,
    "enhanced": None,
    "attempts": 0,
    "error_code": None,
    "file_id": None,
}


# Records are built with model_construct, every field given: from an event that was
# validated already, and a rebuild folds millions (validation, or a default to resolve,
# would be most of its time).


def owner_of(event: JobEvent) -> Owner:
    requester = event.job.requester
    if requester is None:
        return Owner.model_construct(
            channel="cli", user="", chat_id=None, status_message_id=None, language_code=None
        )
    if isinstance(requester, ApiRequester):
        return Owner.model_construct(
            channel="api",
            user=requester.key_name,
            chat_id=None,
            status_message_id=None,
            language_code=None,
        )
    return Owner.model_construct(
        channel="telegram",
        user=str(requester.user_id),
        chat_id=requester.chat_id,
        status_message_id=requester.status_message_id,
        language_code=requester.language_code,
    )


def record_of(event: JobEvent, seq: int) -> JobRecord:
    """What one event, at sequence `seq` of EASEL_HISTORY, says about its job."""
    stages = {_STAGE_OF[type(event)]: event.occurred_at}
    if isinstance(event, ImageRequested):
        stages[JobState.QUEUED] = event.job.requested_at
    said: dict[str, Any] = {}
    match event:
        case PromptEnhanced(prompt=prompt, enhanced=enhanced):
            said = {"prompt": prompt, "enhanced": enhanced}
        case ImageStarted(attempt=attempt):
            said = {"attempts": attempt}
        case ImageGenerated(prompt=prompt):
            said = {"prompt": prompt}
        case ImageDelivered(file_id=file_id):
            said = {"file_id": file_id}
        case ImageFailed(error_code=code, attempts=attempts):
            said = {"error_code": code, "attempts": attempts}
    return JobRecord.model_construct(
        **(_NOTHING_SAID | said),
        # The same in every event of the job (they all carry its context).
        parameters=event.job.params.given(),
        init_image=event.job.params.init_image,
        job_id=event.job_id,
        model=event.model,
        owner=owner_of(event),
        original_prompt=event.job.original_prompt,
        requested_at=event.job.requested_at,
        stages=stages,
        events=(seq,),
    )


def apply(record: JobRecord | None, event: JobEvent, seq: int) -> JobRecord:
    one = record_of(event, seq)
    return one if record is None else merge(record, one)


def merge(a: JobRecord, b: JobRecord) -> JobRecord:
    """Everything either record has seen. Where both saw a value and they differ (a prompt
    enhanced twice, past the dedupe window), the smaller one, so that the order does not
    matter; a rendered prompt (image.generated) reaches both, as the same value."""
    stages = dict(a.stages)
    for state, at in b.stages.items():
        stages[state] = min(at, stages.get(state, at))
    # In the states' order, not the events' arrival order: the same record either way.
    stages = {state: stages[state] for state in STATE_ORDER if state in stages}
    return a.model_copy(
        update={
            "prompt": _either(a.prompt, b.prompt),
            "enhanced": _either(a.enhanced, b.enhanced),
            "parameters": _either(a.parameters or None, b.parameters or None) or {},
            "init_image": _either(a.init_image, b.init_image),
            "stages": stages,
            "attempts": max(a.attempts, b.attempts),
            "error_code": _either(a.error_code, b.error_code),
            "file_id": _either(a.file_id, b.file_id),
            "events": tuple(sorted(set(a.events) | set(b.events))),
        }
    )


def _either(a: T | None, b: T | None) -> T | None:
    if a is None or b is None:
        return b if a is None else a
    return min(a, b, key=repr)
