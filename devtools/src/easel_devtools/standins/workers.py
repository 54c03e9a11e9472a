"""Image worker stand-ins: FLUX (GET with a query) and SDXL (POST JSON with a bearer key).

A real worker renders one image at a time. Requests beyond `capacity` get 429 and are
counted in `capacity_violations`, which tests expect to stay 0: Easel must never
overload a worker. Faults come from a script (one behaviour per request, in order) or
from seeded random chaos; every request is recorded as a `Job`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import random
import threading
import time
from collections import Counter, deque
from collections.abc import Iterable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from aiohttp import web

from easel_devtools.standins._server import StandinServer
from easel_devtools.standins.images import png

DEFAULT_SDXL_KEY = "sdxl-standin-key"
HTML_PAGE = (
    "<html><head><title>502 Bad Gateway</title></head><body><center>"
    "<h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>"
)


@dataclass(frozen=True)
class Behaviour:
    """How to answer one request. The default is a normal render."""

    status: int = 200
    retry_after: int | None = None  # sets a Retry-After header on errors
    hang: bool = False  # never answer; the client must time out
    html: bool = False  # 200 with an HTML error page, as a misrouted proxy does
    body: dict[str, Any] | None = None  # JSON body for error statuses
    delay: float = 0.0  # extra seconds before answering


@dataclass
class Job:
    """One request. Times are time.monotonic(); status None means it was never answered."""

    prompt: str | None
    received_at: float
    started_at: float | None = None
    finished_at: float | None = None
    status: int | None = None
    sha256: str | None = None
    size: int = 0
    source: str = "normal"  # "normal" | "script" | "fault" | "over capacity" | "rejected"


class CapacityStats:
    """What a stand-in with a capacity counts: requests in flight, the most seen at once
    (one refused for being over capacity included), and how often that happened."""

    _lock: threading.RLock
    _in_flight: int
    _max_concurrency: int
    _violations: int

    @property
    def in_flight(self) -> int:
        with self._lock:
            return self._in_flight

    @property
    def max_concurrency_seen(self) -> int:
        with self._lock:
            return self._max_concurrency

    @property
    def capacity_violations(self) -> int:
        with self._lock:
            return self._violations


class WorkerStandin(StandinServer, CapacityStats):
    path = "/generate"

    def __init__(
        self,
        *,
        service_time: float = 0.0,
        service_spread: float = 0.0,
        capacity: int = 1,
        image_size: int | None = None,
        port: int = 0,
    ) -> None:
        super().__init__(port=port)
        self.service_time = service_time
        # Each render takes service_time × U(1 − spread, 1 + spread), seeded: a real model's
        # times vary with the prompt and the load.
        self.service_spread = service_spread
        self.capacity = capacity
        self.image_size = image_size
        self._script: deque[Behaviour] = deque()
        self._faults: tuple[float, float, float] | None = None
        self._rng = random.Random(0)
        self._jobs: list[Job] = []
        self._in_flight = 0
        self._max_concurrency = 0
        self._violations = 0

    @property
    def url(self) -> str:
        """The full endpoint, as FLUX_WORKER_URL / SDXL_WORKER_URL expect it."""
        return self.base_url + self.path

    # -- configuring behaviour -----------------------------------------------------------
    def script(self, behaviours: Iterable[int | Behaviour]) -> None:
        """Append behaviours, each consumed by one admitted request; then back to normal."""
        with self._lock:
            for item in behaviours:
                self._script.append(item if isinstance(item, Behaviour) else Behaviour(item))
            self._changed()

    def faults(
        self, p_5xx: float = 0.0, p_hang: float = 0.0, p_html: float = 0.0, seed: int = 0
    ) -> None:
        """Seeded random faults for requests the script does not cover; all zero turns off."""
        with self._lock:
            self._faults = (p_5xx, p_hang, p_html) if p_5xx or p_hang or p_html else None
            self._rng = random.Random(seed)

    def _next_behaviour(self) -> tuple[Behaviour, str]:
        if self._script:
            return self._script.popleft(), "script"
        if self._faults:
            p_5xx, p_hang, p_html = self._faults
            roll = self._rng.random()
            if roll < p_5xx:
                return Behaviour(self._rng.choice((500, 502, 503))), "fault"
            if roll < p_5xx + p_hang:
                return Behaviour(hang=True), "fault"
            if roll < p_5xx + p_hang + p_html:
                return Behaviour(html=True), "fault"
        return Behaviour(), "normal"

    # -- reading what happened -----------------------------------------------------------
    @property
    def jobs(self) -> list[Job]:
        with self._lock:
            return [dataclasses.replace(job) for job in self._jobs]

    @property
    def prompts(self) -> list[str]:
        with self._lock:
            return [job.prompt for job in self._jobs if job.prompt is not None]

    @property
    def hits(self) -> int:
        with self._lock:
            return len(self._jobs)

    def busy_time(self) -> float:
        """Seconds covered by the union of successful jobs' [started, finished] intervals."""
        spans = sorted(
            (j.started_at, j.finished_at)
            for j in self.jobs
            if j.status == 200 and j.started_at is not None and j.finished_at is not None
        )
        total, end = 0.0, float("-inf")
        for start, finish in spans:
            if finish > end:
                total += finish - max(start, end)
                end = finish
        return total

    def describe(self) -> str:
        with self._lock:
            statuses = Counter(job.status for job in self._jobs)
            return (
                f"hits={len(self._jobs)} statuses={dict(statuses)} in_flight={self._in_flight} "
                f"script_left={len(self._script)} violations={self._violations}"
            )

    # -- serving -------------------------------------------------------------------------
    async def _parse(self, request: web.Request) -> str | web.Response:
        """The prompt, or the response refusing the request (auth, shape)."""
        raise NotImplementedError

    def build_app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", self.path, self._handle)
        return app

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        job = Job(prompt=None, received_at=time.monotonic())
        parsed = await self._parse(request)
        with self._lock:
            self._jobs.append(job)
            if isinstance(parsed, web.Response):
                job.source, job.status, job.finished_at = "rejected", parsed.status, job.received_at
                self._changed()
                return parsed
            job.prompt = parsed
            self._max_concurrency = max(self._max_concurrency, self._in_flight + 1)
            if self._in_flight >= self.capacity:
                self._violations += 1
                job.source, job.status, job.finished_at = "over capacity", 429, time.monotonic()
                self._changed()
                return json_error(429, {"error": "worker busy"}, retry_after=1)
            self._in_flight += 1
            job.started_at = time.monotonic()
            behaviour, job.source = self._next_behaviour()
            self._changed()
        try:
            response = await self._answer(request, job, behaviour)
            with self._lock:
                job.status = response.status
            return response
        finally:  # also when the client gives up (handler cancelled) or the server stops
            with self._lock:
                self._in_flight -= 1
                job.finished_at = time.monotonic()
                self._changed()

    def _render_time(self) -> float:
        if not self.service_spread:
            return self.service_time
        with self._lock:
            factor = self._rng.uniform(1 - self.service_spread, 1 + self.service_spread)
        return self.service_time * factor

    async def _answer(
        self, request: web.Request, job: Job, behaviour: Behaviour
    ) -> web.StreamResponse:
        if behaviour.hang:
            return await self._hold_until_stopped(request)
        normal = behaviour.status == 200 and not behaviour.html
        if not await self._pause(behaviour.delay + (self._render_time() if normal else 0.0)):
            return await self._hold_until_stopped(request)  # stopping: drop the connection
        if behaviour.html:
            return web.Response(text=HTML_PAGE, content_type="text/html")
        if not normal:
            reason = HTTPStatus(behaviour.status).phrase.lower()
            body = behaviour.body or {"error": reason}
            return json_error(behaviour.status, body, retry_after=behaviour.retry_after)
        image = png(job.prompt or "", size=self.image_size)
        job.sha256, job.size = hashlib.sha256(image).hexdigest(), len(image)
        return web.Response(body=image, content_type="image/png")


def json_error(
    status: int, body: dict[str, Any], *, retry_after: int | None = None
) -> web.Response:
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    return web.json_response(body, status=status, headers=headers)


class FluxWorkerStandin(WorkerStandin):
    """`GET /generate?prompt=…`, no auth."""

    async def _parse(self, request: web.Request) -> str | web.Response:
        if request.method != "GET":
            return json_error(405, {"error": "method not allowed"})
        prompt = request.query.get("prompt", "")
        return prompt if prompt.strip() else json_error(400, {"error": "missing prompt"})


class SdxlWorkerStandin(WorkerStandin):
    """`POST /generate` with JSON {"prompt": …} and `Authorization: Bearer <api_key>`."""

    def __init__(self, api_key: str = DEFAULT_SDXL_KEY, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.api_key = api_key

    async def _parse(self, request: web.Request) -> str | web.Response:
        if request.method != "POST":
            return json_error(405, {"error": "method not allowed"})
        if request.headers.get("Authorization") != f"Bearer {self.api_key}":
            return json_error(401, {"error": "invalid api key"})
        try:
            body = await request.json()
        except ValueError:
            return json_error(400, {"error": "body must be JSON"})
        prompt = body.get("prompt") if isinstance(body, dict) else None
        if not isinstance(prompt, str) or not prompt.strip():
            return json_error(400, {"error": "missing prompt"})
        return prompt
