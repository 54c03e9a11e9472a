"""In-memory stand-ins of the shared ports a handler is given, for its unit tests: the
same answers as the real ones, without a server."""

from __future__ import annotations

import asyncio

from easel.jobs import Ending, ServiceTime, updated


class MemoryEndings:
    """`easel.jobs.Endings` in a dict: the first claim wins."""

    def __init__(self, **endings: Ending) -> None:
        self.endings: dict[str, Ending] = dict(endings)

    async def claim(self, job_id: str, ending: Ending) -> Ending:
        return self.endings.setdefault(job_id, ending)

    async def of(self, job_id: str) -> Ending | None:
        return self.endings.get(job_id)


class MemoryServiceTimes:
    """`easel.jobs.ServiceTimes` in a dict."""

    def __init__(self, **means: float) -> None:
        self.times = {model: ServiceTime(mean, 10) for model, mean in means.items()}
        self.recorded = asyncio.Event()  # set by each record: what a test awaits

    async def of(self, model: str) -> ServiceTime | None:
        return self.times.get(model)

    async def record(self, model: str, seconds: float) -> None:
        self.times[model] = updated(self.times.get(model), seconds)
        self.recorded.set()
