"""A fair share per user: at most `limit` active jobs. The pure decision over the stored
list of a user's jobs; `stores.active_jobs` applies it with compare-and-set.

A job stops counting once it has an ending (delivering, failed, cancelled: `easel.jobs
.Endings`), or when it is older than `stale_after`: a job that never got one (its events
lost past every retry) must not hold a user's place for ever.
"""

from __future__ import annotations

import json
import math
from collections.abc import Collection
from typing import NamedTuple

Active = tuple[tuple[str, float], ...]  # (job id, admitted at), oldest first


class Admission(NamedTuple):
    allowed: bool
    active: Active  # what to store: the jobs still active, plus this one if allowed


def admit(
    stored: Active,
    ended: Collection[str],
    job_id: str,
    now: float,
    limit: int,
    stale_after: float,
) -> Admission:
    active = tuple(
        (job, since) for job, since in stored if job not in ended and now - since < stale_after
    )
    if any(job == job_id for job, _ in active):
        return Admission(True, active)  # this very request, seen again (a redelivery)
    if len(active) >= limit:
        return Admission(False, active)
    return Admission(True, (*active, (job_id, now)))


def encode(active: Active) -> bytes:
    return json.dumps([[job, round(since, 3)] for job, since in active]).encode()


def decode(raw: bytes | None) -> Active:
    """Anything unreadable counts as no active jobs rather than an error."""
    try:
        values = json.loads(raw or b"[]")
    except ValueError:
        return ()
    if not isinstance(values, list):
        return ()
    return tuple(
        (job, float(since))
        for item in values
        if isinstance(item, list) and len(item) == 2
        for job, since in [item]
        if isinstance(job, str)
        and isinstance(since, int | float)
        and not isinstance(since, bool)
        and math.isfinite(since)
    )
