"""One `prompt.enhanced` job: started → backend → stored image → generated, or failed.

A job past its deadline (JOB_DEADLINE_SECONDS from job.requested_at) is not sent to the
backend: it fails as `timeout` (`backend_unavailable` while the model's circuit is open)
and is dead-lettered (reason `deadline`); so is a job that waited for an open circuit until
its deadline.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import structlog
from nats.js import JetStreamContext
from nats.js.api import ObjectInfo, PubAck

from easel import bus
from easel.events import (
    ErrorCode,
    ImageFailed,
    ImageGenerated,
    ImageStarted,
    PromptEnhanced,
    StoredImage,
)

from . import core, metrics
from .backends import Backend, Expired, Failed, Generated
from .store import ImageStore

log = structlog.get_logger("easel_generator")

# Stored with the object, so a redelivered job whose image was already stored can be
# announced again without rendering it twice.
_CONTENT_TYPE = "Content-Type"
_GENERATION_SECONDS = "Easel-Generation-Seconds"


class Jobs:
    def __init__(
        self,
        js: JetStreamContext,
        store: ImageStore,
        backend: Backend,
        deadline_seconds: float = 600.0,
    ) -> None:
        self._js = js
        self._store = store
        self._backend = backend
        self._model = backend.spec.name
        self._deadline_seconds = deadline_seconds
        # Series that exist from the start read 0, not "no data", on a fresh replica.
        metrics.IN_FLIGHT.labels(self._model)
        metrics.BACKEND_RETRIES.labels(self._model)

    async def handle(self, event: PromptEnhanced, delivery: bus.Delivery) -> bus.Outcome:
        # (The consume loop has checked that the event's model is this queue's.)
        started_at = datetime.now(UTC)
        queued = core.queued_seconds(event.occurred_at, started_at)
        # Only a redelivered job can find an image of its own stored already.
        earlier = await self._store.info(event.job_id) if delivery.attempt > 1 else None
        stored = _complete(event.job_id, earlier) if earlier is not None else None
        deadline = core.deadline(event.job.requested_at, self._deadline_seconds)
        if stored is None and started_at >= deadline:
            detail = f"not started within {self._deadline_seconds:.0f} s of the request"
            # Tell the user the truth: waiting longer would not have helped a dead backend.
            down = self._backend.breaker.down
            code = ErrorCode.BACKEND_UNAVAILABLE if down else ErrorCode.TIMEOUT
            await self._fail(event, Failed(core.Failure(code, detail), 0))
            return bus.Term(bus.Reason.DEADLINE, detail)
        started = ImageStarted(
            job_id=event.job_id, model=event.model, job=event.job, attempt=delivery.attempt
        )
        if stored is not None:
            await bus.publish(self._js, started)
            image, generation_seconds = stored
            log.info("generator.image_already_stored", attempt=delivery.attempt)
            await self._announce(event, image, queued, generation_seconds)
            return bus.ACK
        log.info("generator.job_started", attempt=delivery.attempt, queued_seconds=queued)
        until = time.monotonic() + (deadline - started_at) / timedelta(seconds=1)
        # image.started goes out while the backend already works: it only has to be in the
        # stream before the job's result, and every millisecond here idles the backend.
        announced: asyncio.Future[PubAck] = asyncio.ensure_future(bus.publish(self._js, started))
        try:
            began = time.perf_counter()
            with metrics.IN_FLIGHT.labels(self._model).track_inprogress():
                result = await self._backend.generate(event.prompt, until)
            elapsed = time.perf_counter() - began
            await announced
        finally:
            announced.cancel()  # a no-op unless the handler itself failed or was cancelled
            await asyncio.gather(announced, return_exceptions=True)
        match result:
            case Generated():
                metrics.GENERATION_DURATION.labels(self._model, "generated").observe(elapsed)
                image = await self._put(event.job_id, result, elapsed, earlier)
                await self._announce(event, image, queued, elapsed)
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
                failure = core.Failure(ErrorCode.BACKEND_UNAVAILABLE, detail)
                await self._fail(event, Failed(failure, attempts))
                return bus.Term(bus.Reason.DEADLINE, detail)
        return bus.ACK

    async def give_up(self, event: PromptEnhanced, delivery: bus.Delivery) -> None:
        """The consume loop's hook once no delivery is left: the user hears it failed."""
        detail = f"processing failed on all {delivery.attempt} deliveries"
        await self._fail(event, Failed(core.Failure(ErrorCode.INTERNAL, detail), 0))

    async def _fail(self, event: PromptEnhanced, failed: Failed) -> None:
        failure = failed.failure
        await bus.publish(
            self._js,
            ImageFailed(
                job_id=event.job_id,
                model=event.model,
                job=event.job,
                error_code=failure.code,
                retried=failed.attempts > 1,
                attempts=failed.attempts,
                detail=failure.detail,
            ),
        )
        metrics.JOBS.labels(self._model, "failed", failure.code.value).inc()
        log.warning(
            "generator.job_failed",
            error_code=failure.code.value,
            detail=failure.detail,
            attempts=failed.attempts,
        )

    async def _announce(
        self, event: PromptEnhanced, image: StoredImage, queued: float, generation: float
    ) -> None:
        await bus.publish(
            self._js,
            ImageGenerated(
                job_id=event.job_id,
                model=event.model,
                job=event.job,
                prompt=event.prompt,
                image=image,
                queued_seconds=queued,
                generation_seconds=generation,
            ),
        )

    async def _put(
        self, job_id: str, result: Generated, elapsed: float, earlier: ObjectInfo | None
    ) -> StoredImage:
        headers = {
            _CONTENT_TYPE: [result.content_type],
            _GENERATION_SECONDS: [f"{elapsed:.3f}"],
        }
        stored = await self._store.put(job_id, result.data, headers, replaces=earlier)
        return StoredImage(
            bucket=self._store.bucket,
            object_name=job_id,
            size=stored.size,
            content_type=result.content_type,
            sha256=stored.sha256,
        )


def _complete(job_id: str, info: ObjectInfo) -> tuple[StoredImage, float] | None:
    """The image an earlier delivery stored (and its generation time), if it is whole."""
    headers = info.headers or {}
    sha256 = core.sha256_hex(info.digest)
    content_type = _first(headers.get(_CONTENT_TYPE))
    if not (sha256 and content_type and info.size):
        return None
    image = StoredImage(
        bucket=info.bucket,
        object_name=job_id,
        size=info.size,
        content_type=content_type,
        sha256=sha256,
    )
    return image, core.seconds(_first(headers.get(_GENERATION_SECONDS)))


def _first(values: object) -> str | None:
    if isinstance(values, list) and values and isinstance(values[0], str):
        return values[0]
    return None
