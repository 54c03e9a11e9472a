"""`easel job <id>`: one job's events from the log, who published each, when, and the gap
since the one before: what happened to this request."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from nats.js import JetStreamContext

from easel import bus
from easel.events import (
    ImageDelivered,
    ImageFailed,
    ImageGenerated,
    ImageStarted,
    JobEvent,
    PromptEnhanced,
    PromptEnhancing,
)
from easel.jobs._history import Stored, events_at
from easel.jobs._projector import decode_job_event
from easel.jobs._record import JobRecord
from easel.jobs._store import JobStore


@dataclass(frozen=True)
class Row:
    at: datetime
    event_type: str
    source: str
    gap_seconds: float | None
    detail: str


def rows(stored: list[Stored]) -> list[Row]:
    """One row per event that decodes, in the order they happened."""
    events = []
    for message in stored:
        try:
            event = decode_job_event(message.data)
        except ValueError:
            continue
        events.append((event, message.headers.get(bus.SOURCE_HEADER) or type(event).publisher))
    events.sort(key=lambda pair: pair[0].occurred_at)
    table: list[Row] = []
    previous: datetime | None = None
    for event, source in events:
        gap: float | None = (
            None if previous is None else (event.occurred_at - previous).total_seconds()
        )
        table.append(Row(event.occurred_at, event.event_type, source, gap, _detail(event)))
        previous = event.occurred_at
    return table


def render(record: JobRecord, table: list[Row]) -> str:
    head = (
        f"job {record.job_id} · {record.model} · {record.state.value} · "
        f"{record.owner.channel} {record.owner.user}".rstrip()
    )
    lines = [head, f"{'time (UTC)':<26}  {'gap':>9}  {'event':<17}  {'by':<14}  detail"]
    for row in table:
        gap = "" if row.gap_seconds is None else f"+{row.gap_seconds:.3f}s"
        when = row.at.isoformat(timespec="milliseconds").replace("+00:00", "")
        lines.append(f"{when:<26}  {gap:>9}  {row.event_type:<17}  {row.source:<14}  {row.detail}")
    return "\n".join(line.rstrip() for line in lines)


async def timeline(js: JetStreamContext, job_id: str) -> tuple[JobRecord, list[Row]] | None:
    record = await JobStore(await js.key_value(bus.JOBS_BUCKET)).get(job_id)
    if record is None:
        return None
    return record, rows(await events_at(js, record.events))


def _detail(event: JobEvent) -> str:
    """What is worth a glance, never a prompt."""
    match event:
        case PromptEnhancing(attempt=attempt) | ImageStarted(attempt=attempt):
            return f"attempt {attempt}"
        case PromptEnhanced(enhanced=enhanced, fallback_reason=reason):
            return "enhanced" if enhanced else f"as typed ({reason})"
        case ImageGenerated(image=image, generation_seconds=seconds):
            return f"{image.size} bytes {image.content_type} in {seconds:.2f}s"
        case ImageDelivered(file_id=file_id):
            return "photo kept by Telegram" if file_id else ""
        case ImageFailed(error_code=code, attempts=attempts):
            return f"{code.value} after {attempts} attempt(s)"
    return ""
