"""A job record as the API shows it (pure): states named for a client, which has its
image once it is generated ("succeeded"), whether or not it fetched it yet."""

from __future__ import annotations

from easel.jobs import JobRecord, JobState
from easel_gateway.http.schemas import JobLinks, JobView

# Seconds a job just made, or just ended, may take to show in the view (the projector's
# lag): a read that must see it waits this long at most.
VIEW_LAG = 3.0
_STATES = {
    JobState.QUEUED: "queued",
    JobState.ENHANCING: "enhancing",
    JobState.WAITING: "waiting",
    JobState.GENERATING: "generating",
    JobState.SENDING: "succeeded",
    JobState.DELIVERED: "succeeded",
    JobState.FAILED: "failed",
    JobState.CANCELLED: "cancelled",
}


def job_view(
    record: JobRecord,
    base: str,
    position: int | None = None,
    estimate: float | None = None,
    progress: int | None = None,
) -> JobView:
    state = _STATES[record.state]
    waiting = state in ("queued", "enhancing", "waiting", "generating")
    return JobView(
        id=record.job_id,
        model=record.model,
        state=state,
        position=position if state == "waiting" else None,
        estimate_seconds=round(estimate, 1) if waiting and estimate is not None else None,
        progress=progress if state == "generating" else None,
        prompt=record.original_prompt,
        revised_prompt=record.prompt,
        created_at=record.requested_at.isoformat(),
        updated_at=max(record.stages.values(), default=record.requested_at).isoformat(),
        error=record.error_code.value if record.error_code else None,
        parameters=record.parameters,
        links=JobLinks(
            self=f"{base}/v1/jobs/{record.job_id}", image=f"{base}/v1/jobs/{record.job_id}/image"
        ),
    )


def finished(record: JobRecord) -> bool:
    """Generated, failed or cancelled: nothing left to cancel."""
    return record.state in (JobState.SENDING, *(s for s in JobState if s.ended))
