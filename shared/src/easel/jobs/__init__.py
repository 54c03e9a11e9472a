"""The job view: one record per job, a projection of the job's events only.

`JobState` and `JobRecord` say what a job is; `fold` (pure) says what an event does to it;
`JobStore` keeps the records in KV `easel_jobs` for every replica to read; the `Projector`
is the one writer, fed by EASEL_HISTORY; `rebuild` makes the view again from that log;
`timeline` lists one job's events from it. `Endings` lets exactly one ending of a job win,
`cancel` claims one and says so; `positions` reads where a model's waiting jobs stand, and
`ServiceTimes` what a model's jobs take, for the estimates; `Results` awaits in one process
the ends of the jobs it started.
"""

from easel.jobs._cancel import cancel
from easel.jobs._endings import Ending, Endings
from easel.jobs._estimates import (
    ServiceTime,
    ServiceTimes,
    left,
    ready_in,
    rounded,
    updated,
)
from easel.jobs._fold import apply, merge, owner_of, record_of
from easel.jobs._projector import Projector, decode_job_event
from easel.jobs._queue import QueueState, positions, queue_state
from easel.jobs._rebuild import Rebuilt, rebuild
from easel.jobs._recent import recent
from easel.jobs._record import JobRecord, JobState, Owner
from easel.jobs._results import Result, Results, decode_result
from easel.jobs._store import JobStore
from easel.jobs._timeline import Row, render, rows, timeline

__all__ = [
    "Ending",
    "Endings",
    "JobRecord",
    "JobState",
    "JobStore",
    "Owner",
    "Projector",
    "QueueState",
    "Rebuilt",
    "Result",
    "Results",
    "Row",
    "ServiceTime",
    "ServiceTimes",
    "apply",
    "cancel",
    "decode_job_event",
    "decode_result",
    "left",
    "merge",
    "owner_of",
    "positions",
    "queue_state",
    "ready_in",
    "rebuild",
    "recent",
    "record_of",
    "render",
    "rounded",
    "rows",
    "timeline",
    "updated",
]
