"""The FLUX worker stand-in in a process of its own.

A real image backend is another machine. Hosted in the bench process, the worker
stand-in would share one interpreter lock with the Bot API and LLM stand-ins, and their
work would show up as delays in the worker's own timestamps (measured: +2.7 ms on the
median handoff gap). The child serves a `FluxWorkerStandin` and answers the parent over
a pipe; its `time.monotonic()` is the same system-wide clock as the parent's.
"""

from __future__ import annotations

import asyncio
import multiprocessing
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from types import TracebackType
from typing import Any, Self

from easel_devtools.standins import FluxWorkerStandin, Job

_spawn = multiprocessing.get_context("spawn")  # never fork a process full of threads


def _serve(conn: Connection, options: dict[str, Any]) -> None:
    with FluxWorkerStandin(**options) as worker:
        conn.send(worker.base_url)
        while (request := conn.recv()) != "stop":
            match request:
                case "jobs":
                    conn.send(worker.jobs)
                case "busy_time":
                    conn.send(worker.busy_time())
                case "violations":
                    conn.send(worker.capacity_violations)
                case ("wait_done", count, timeout):
                    try:
                        worker.wait_for(
                            lambda: worker.hits >= count and worker.in_flight == 0, timeout
                        )
                        conn.send(None)
                    except TimeoutError as error:
                        conn.send(str(error))


class RemoteWorker:
    """What the harness (start/stop/base_url) and the bench need of a worker stand-in."""

    path = "/generate"

    def __init__(
        self,
        *,
        service_time: float = 0.0,
        service_spread: float = 0.0,
        capacity: int = 1,
        image_size: int | None = None,
    ) -> None:
        self._options = {
            "service_time": service_time,
            "service_spread": service_spread,
            "capacity": capacity,
            "image_size": image_size,
        }
        self._conn: Connection | None = None
        self._proc: BaseProcess | None = None
        self.base_url = ""

    @property
    def url(self) -> str:
        return self.base_url + self.path

    def start(self) -> str:
        parent, child = _spawn.Pipe()
        self._proc = _spawn.Process(target=_serve, args=(child, self._options), daemon=True)
        self._proc.start()
        self._conn = parent
        self.base_url = str(parent.recv())
        return self.base_url

    def stop(self) -> None:
        if self._conn is None or self._proc is None:
            return
        self._conn.send("stop")
        self._proc.join(timeout=15)
        if self._proc.is_alive():
            self._proc.kill()
        self._conn = None

    async def __aenter__(self) -> Self:
        await asyncio.to_thread(self.start)
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await asyncio.to_thread(self.stop)

    def _ask(self, request: Any) -> Any:
        assert self._conn is not None, "the worker is not running"
        self._conn.send(request)
        return self._conn.recv()

    def jobs(self) -> list[Job]:
        return list(self._ask("jobs"))

    def busy_time(self) -> float:
        """Seconds during which at least one job was being rendered."""
        return float(self._ask("busy_time"))

    def capacity_violations(self) -> int:
        return int(self._ask("violations"))

    async def wait_done(self, count: int, timeout: float) -> None:  # noqa: ASYNC109
        """Until `count` requests have arrived and none is still running."""
        problem = await asyncio.to_thread(self._ask, ("wait_done", count, timeout))
        if problem:
            raise TimeoutError(problem)

    def rendered(self) -> list[Job]:
        """The successful jobs, in the order they arrived."""
        return sorted(
            (j for j in self.jobs() if j.status == 200 and j.finished_at is not None),
            key=lambda j: j.received_at,
        )
