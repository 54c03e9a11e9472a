"""In-memory stand-ins of the shared ports a handler is given, for its unit tests: the
same answers as the real ones, without a server."""

from __future__ import annotations

from easel.jobs import Ending


class MemoryEndings:
    """`easel.jobs.Endings` in a dict: the first claim wins."""

    def __init__(self, **endings: Ending) -> None:
        self.endings: dict[str, Ending] = dict(endings)

    async def claim(self, job_id: str, ending: Ending) -> Ending:
        return self.endings.setdefault(job_id, ending)

    async def of(self, job_id: str) -> Ending | None:
        return self.endings.get(job_id)
