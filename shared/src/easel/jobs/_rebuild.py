"""`easel jobs rebuild`: the job view made again from EASEL_HISTORY alone.

The projector's consumer is paused meanwhile; the events it is handed after the resume are
applied on top of the rebuilt records, which the fold makes harmless.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from nats.js import JetStreamContext

from easel import bus
from easel.jobs._fold import apply
from easel.jobs._history import Stored, read_all
from easel.jobs._projector import decode_job_event
from easel.jobs._record import JobRecord
from easel.jobs._store import JobStore

_PAUSE = timedelta(hours=1)  # resumed at the end; this only bounds a rebuild that died


@dataclass(frozen=True)
class Rebuilt:
    jobs: int
    events: int
    unreadable: int
    seconds: float


async def rebuild(js: JetStreamContext) -> Rebuilt:
    started = time.perf_counter()
    until = (datetime.now(UTC) + _PAUSE).strftime("%Y-%m-%dT%H:%M:%SZ")
    await js.pause_consumer(bus.HISTORY, bus.PROJECTOR, until)
    try:
        records: dict[str, JobRecord] = {}
        unreadable = 0

        def fold(stored: Stored) -> None:
            nonlocal unreadable
            try:
                event = decode_job_event(stored.data)
            except ValueError:  # ValidationError included: not a job event this code knows
                unreadable += 1
                return
            records[event.job_id] = apply(records.get(event.job_id), event, stored.seq)

        events = await read_all(js, fold) - unreadable
        kv = await js.key_value(bus.JOBS_BUCKET)
        await js.purge_stream(f"KV_{bus.JOBS_BUCKET}")
        jobs = await JobStore(kv).replace_all(records.values())
    finally:
        await js.resume_consumer(bus.HISTORY, bus.PROJECTOR)
    return Rebuilt(jobs, events, unreadable, time.perf_counter() - started)
