"""One `prompt.enhanced` job: started → backend → stored image → generated, or failed.

A job past its deadline (JOB_DEADLINE_SECONDS from job.requested_at) is not sent to the
backend: it fails as `timeout` (`backend_unavailable` while the model's circuit is open)
and is dead-lettered (reason `deadline`); so is a job that waited for an open circuit until
its deadline. A redelivered job whose image an earlier delivery stored is announced again,
not rendered twice. A cancelled job never reaches the backend, or is abandoned there at
once: its slot goes to the next job, and nothing of it is stored or announced.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol, TypeVar

import nats.errors
import structlog

from easel import bus
from easel.events import (
    ErrorCode,
    ImageFailed,
    ImageGenerated,
    ImageProgress,
    ImageStarted,
    Params,
    PromptEnhanced,
)
from easel.events import StoredImage as Stored
from easel.images import Found, ImageCorrupt
from easel.jobs import Ending, Endings, ServiceTimes
from easel.settings import ModelSpec
from easel_generator import metrics
from easel_generator.backends import Expired, Failed, Generated
from easel_generator.circuit_breaker import Breaker
from easel_generator.kinds import Photo
from easel_generator.progress import ProgressGate
from easel_generator.verdicts import Body, Failure

log = structlog.get_logger("easel.generator")
T = TypeVar("T")


class Images(Protocol):
    """Where images go: `easel.images.ImageWriter`."""

    async def find(self, name: str) -> Found | None: ...

    async def put(
        self, name: str, data: Body, content_type: str, generation_seconds: float
    ) -> Stored: ...


class Photos(Protocol):
    """Where the photo an image-to-image job starts from is: `easel.images.ImageReader`."""

    async def fetch(self, image: Stored) -> memoryview | None: ...


class Backend(Protocol):
    """A model's backend: `easel_generator.backends.Backend`."""

    spec: ModelSpec
    breaker: Breaker

    async def generate(
        self,
        prompt: str,
        until: float | None = None,
        progress: Callable[[int], None] | None = None,
        params: Params | None = None,
        photo: Photo | None = None,
    ) -> Generated | Failed | Expired: ...


class JobHandler:
    def __init__(
        self,
        *,
        publish: bus.Publish,
        images: Images,
        photos: Photos,
        backend: Backend,
        endings: Endings,
        service_times: ServiceTimes,
        deadline_seconds: float = 600.0,
    ) -> None:
        self._publish = publish
        self._images = images
        self._photos = photos
        self._backend = backend
        self._endings = endings
        self._service_times = service_times
        self._background: set[asyncio.Task[None]] = set()
        self._cancelled: dict[str, asyncio.Event] = {}  # the jobs in hand: set on a cancel
        self._model = backend.spec.name
        self._deadline_seconds = deadline_seconds
        # Series that exist from the start read 0, not "no data", on a fresh replica.
        metrics.IN_FLIGHT.labels(self._model)
        metrics.BACKEND_RETRIES.labels(self._model)

    def cancel(self, job_id: str) -> None:
        """The job was cancelled (image.cancelled): if it is in hand, drop it at once."""
        if cancelled := self._cancelled.get(job_id):
            cancelled.set()

    async def handle(self, event: PromptEnhanced, delivery: bus.Delivery) -> bus.Outcome:
        # (The consume loop has checked that the event's model is this queue's.)
        # Watched before the ending is read: a cancel arriving in between is not missed.
        cancelled = self._cancelled.setdefault(event.job_id, asyncio.Event())
        try:
            if await self._endings.of(event.job_id) is Ending.CANCELLED:
                return self._dropped("before its backend call")
            return await self._generate(event, delivery, cancelled)
        finally:
            self._cancelled.pop(event.job_id, None)

    async def _generate(
        self, event: PromptEnhanced, delivery: bus.Delivery, cancelled: asyncio.Event
    ) -> bus.Outcome:
        started_at = datetime.now(UTC)
        queued = queued_seconds(event.occurred_at, started_at)
        # Only a redelivered job can find an image of its own stored already.
        found = await self._images.find(event.job_id) if delivery.attempt > 1 else None
        deadline = event.job.deadline(self._deadline_seconds)
        if found is None and started_at >= deadline:
            detail = f"not started within {self._deadline_seconds:.0f} s of the request"
            # Tell the user the truth: waiting longer would not have helped a dead backend.
            down = self._backend.breaker.down
            code = ErrorCode.BACKEND_UNAVAILABLE if down else ErrorCode.TIMEOUT
            await self._fail(event, Failed(Failure(code, detail), 0))
            return bus.Term(bus.Reason.DEADLINE, detail)
        started = ImageStarted.after(event, attempt=delivery.attempt)
        if found is not None:
            await self._publish(started)
            log.info("generator.image_already_stored", attempt=delivery.attempt)
            await self._announce(event, found.image, queued, found.generation_seconds)
            return bus.ACK
        photo = await self._photo(event.job.params.init_image)
        if isinstance(photo, Failed):
            await self._fail(event, photo)
            return bus.ACK
        log.info("generator.job_started", attempt=delivery.attempt, queued_seconds=queued)
        until = time.monotonic() + (deadline - started_at) / timedelta(seconds=1)
        async with bus.publishing(self._publish, started):
            began = time.perf_counter()
            with metrics.IN_FLIGHT.labels(self._model).track_inprogress():
                render = self._backend.generate(
                    event.prompt, until, self._progress_of(event), event.job.params, photo
                )
                result = await _unless(cancelled, render)
            elapsed = time.perf_counter() - began
        if result is None or cancelled.is_set():
            return self._dropped("at its backend")
        match result:
            case Generated():
                metrics.GENERATION_DURATION.labels(self._model, "generated").observe(elapsed)
                image = await self._images.put(
                    event.job_id, result.data, result.content_type, elapsed
                )
                await self._announce(event, image, queued, elapsed, result.seed)
                self._record(result.attempts, elapsed)
                metrics.JOBS.labels(self._model, "generated", "").inc()
                log.info(
                    "generator.job_generated",
                    attempts=result.attempts,
                    size=image.size,
                    generation_seconds=round(elapsed, 3),
                )
            case Failed():
                metrics.GENERATION_DURATION.labels(self._model, "failed").observe(elapsed)
                await self._fail(event, result)
            case Expired(attempts=attempts):
                detail = "the backend stayed unavailable until the job's deadline"
                failure = Failure(ErrorCode.BACKEND_UNAVAILABLE, detail)
                await self._fail(event, Failed(failure, attempts))
                return bus.Term(bus.Reason.DEADLINE, detail)
        return bus.ACK

    async def _photo(self, stored: Stored | None) -> Photo | Failed | None:
        """The photo the job starts from, if any; a failure if it is gone or damaged."""
        if stored is None:
            return None
        try:
            data = await self._photos.fetch(stored)
        except ImageCorrupt as error:
            return Failed(Failure(ErrorCode.PHOTO_UNAVAILABLE, f"damaged: {error}"), 0)
        if data is None:  # its bucket's TTL took it: the job waited that long
            return Failed(Failure(ErrorCode.PHOTO_UNAVAILABLE, "gone from the store"), 0)
        return Photo(bytes(data), stored.content_type)

    def _progress_of(self, event: PromptEnhanced) -> Callable[[int], None]:
        """What the backend's progress reports go to: `image.progress`, gated, one publish
        in flight at a time (a report arriving meanwhile is dropped; the next one says
        more). Never awaited by the render."""
        gate = ProgressGate()
        in_flight: set[asyncio.Task[None]] = set()

        def report(percent: int) -> None:
            if in_flight or not gate.admit(percent):
                return
            task = asyncio.create_task(self._publish_progress(event, percent))
            in_flight.add(task)
            task.add_done_callback(in_flight.discard)
            self._background.add(task)
            task.add_done_callback(self._background.discard)

        return report

    async def _publish_progress(self, event: PromptEnhanced, percent: int) -> None:
        try:
            await self._publish(ImageProgress.after(event, percent=percent))
        except nats.errors.Error as error:  # a courtesy: the render goes on without it
            log.warning("generator.progress_unpublished", error=repr(error))

    def _record(self, attempts: int, seconds: float) -> None:
        """The estimates' sample: a first-attempt render only (retries say little about the
        model); beside the next job, not before it."""
        if attempts != 1:
            return
        task = asyncio.create_task(self._record_now(seconds))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _record_now(self, seconds: float) -> None:
        try:
            await self._service_times.record(self._model, seconds)
        except nats.errors.Error as error:  # one sample fewer; the estimates go on
            log.warning("generator.service_time_unrecorded", error=repr(error))

    def _dropped(self, where: str) -> bus.Outcome:
        metrics.JOBS.labels(self._model, "cancelled", "").inc()
        log.info("generator.job_cancelled", where=where)
        return bus.ACK

    async def give_up(self, event: PromptEnhanced, delivery: bus.Delivery) -> None:
        """The consume loop's hook once no delivery is left: the user hears it failed."""
        detail = f"processing failed on all {delivery.attempt} deliveries"
        await self._fail(event, Failed(Failure(ErrorCode.INTERNAL, detail), 0))

    async def _fail(self, event: PromptEnhanced, failed: Failed) -> None:
        failure = failed.failure
        await self._publish(
            ImageFailed.for_job(event, failure.code, failure.detail, attempts=failed.attempts)
        )
        metrics.JOBS.labels(self._model, "failed", failure.code.value).inc()
        log.warning(
            "generator.job_failed",
            error_code=failure.code.value,
            detail=failure.detail,
            attempts=failed.attempts,
        )

    async def _announce(
        self,
        event: PromptEnhanced,
        image: Stored,
        queued: float,
        generation: float,
        seed: int | None = None,
    ) -> None:
        await self._publish(
            ImageGenerated.after(
                event,
                prompt=event.prompt,
                image=image,
                queued_seconds=queued,
                generation_seconds=generation,
                seed=seed,
                enhanced=event.enhanced,
            )
        )


def queued_seconds(enqueued_at: datetime, started_at: datetime) -> float:
    """Clamped at 0: the enhancer's clock may run a little ahead of ours."""
    return max((started_at - enqueued_at).total_seconds(), 0.0)


async def _unless(cancelled: asyncio.Event, work: Awaitable[T]) -> T | None:
    """`work`'s result, or None once `cancelled` is set first (the work is then abandoned)."""
    task = asyncio.ensure_future(work)
    waiting = asyncio.ensure_future(cancelled.wait())
    try:
        await asyncio.wait([task, waiting], return_when=asyncio.FIRST_COMPLETED)
    finally:
        waiting.cancel()
        if not task.done():  # cancelled, or this handler itself is (shutdown)
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
    return task.result() if not task.cancelled() else None
