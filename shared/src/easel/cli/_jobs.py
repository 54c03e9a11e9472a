"""`easel jobs rebuild` and `easel job <id>`: the job view made again from the log, and one
job's timeline from it."""

from __future__ import annotations

import sys

from easel import jobs
from easel.cli._connect import connect_once


async def rebuild() -> int:
    js, close = await connect_once("easel jobs rebuild")
    try:
        rebuilt = await jobs.rebuild(js)
    finally:
        await close()
    unreadable = f"; {rebuilt.unreadable} unreadable, skipped" if rebuilt.unreadable else ""
    print(
        f"rebuilt {rebuilt.jobs} job(s) from {rebuilt.events} event(s) "
        f"in {rebuilt.seconds:.1f} s{unreadable}"
    )
    return 0


async def show(job_id: str) -> int:
    js, close = await connect_once("easel job")
    try:
        found = await jobs.timeline(js, job_id)
    finally:
        await close()
    if found is None:
        print(f"no job {job_id!r} in the job view", file=sys.stderr)
        return 1
    print(jobs.render(*found))
    return 0
