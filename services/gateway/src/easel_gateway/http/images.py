"""POST /v1/images/generations (waits for the images), GET /v1/models, GET /files/{job}:
decode → the core's checks and limits → publish → await the results → answer."""

from __future__ import annotations

import asyncio
import base64
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar, cast

import nats.errors
import structlog
from aiohttp import web
from pydantic import BaseModel, ValidationError

from easel import bus, jobs
from easel.controls import Blocklist
from easel.events import (
    ErrorCode,
    ImageCancelled,
    ImageDelivered,
    ImageFailed,
    ImageGenerated,
    ImageRequested,
)
from easel.images import ImageCorrupt, ImageReader
from easel.keys import ApiKey
from easel.settings import ModelRegistry
from easel_gateway.catalog import ENGLISH
from easel_gateway.core import params
from easel_gateway.core.commands import ImageRequest
from easel_gateway.core.jobs import api_job_id, api_requested, api_user
from easel_gateway.core.validation import Accepted, Reason, Rejected, validate
from easel_gateway.http import errors
from easel_gateway.http.schemas import (
    ImageData,
    ImagesRequest,
    ImagesResponse,
    ModelCard,
    ModelList,
)
from easel_gateway.stores.active_jobs import ActiveJobs
from easel_gateway.stores.rate_limits import RateLimiter

log = structlog.get_logger("easel.gateway")
M = TypeVar("M", bound=BaseModel)
API_KEY = web.RequestKey("api_key", ApiKey)
_API_JOB = re.compile(r"api_[0-9a-f]{32}")


@dataclass(frozen=True)
class Images:
    """What the images routes need, wired once by the composition root."""

    registry: ModelRegistry
    blocklist: Blocklist | None
    limiter: RateLimiter
    active: ActiveJobs
    endings: jobs.Endings
    publish: bus.Publish
    results: jobs.Results
    reader: ImageReader
    wait_seconds: float

    async def models(self, request: web.Request) -> web.Response:
        cards = [ModelCard(id=name) for name in self.registry.names]
        return _json(ModelList(data=cards))

    async def generate(self, request: web.Request) -> web.Response:
        key = request[API_KEY]
        body = await read_body(request, ImagesRequest)
        model = body.model.lower() if body.model else None
        flags = {"size": body.size} if body.size else {}
        verdict = validate(ImageRequest(model, body.prompt), self.registry, self.blocklist, flags)
        if isinstance(verdict, Rejected):
            raise rejection(verdict)
        job_ids = await self.admit(api_user(key.name), body.n)
        with (
            structlog.contextvars.bound_contextvars(model=verdict.model, jobs=job_ids),
            self.results.awaiting(job_ids) as futures,
        ):
            requested = await self.publish_jobs(job_ids, verdict, key)
            results = await self._wait(requested, futures)
            shown = await asyncio.gather(
                *(self._image(r, body, request) for r in results), return_exceptions=True
            )
        given = [r for r, image in zip(results, shown, strict=True) if isinstance(image, ImageData)]
        if failure := next((e for e in shown if isinstance(e, BaseException)), None):
            await asyncio.shield(self._delivered(given))
            raise failure
        # The client has its images before `image.delivered` is published: the ending
        # claimed in `_image` is what counts, the event only records it.
        data = [cast(ImageData, image) for image in shown]
        response = _json(ImagesResponse(created=int(time.time()), data=data))
        try:
            await response.prepare(request)
            await response.write_eof()
        except ConnectionResetError:  # gone just now: its images were claimed all the same
            log.info("gateway.api_client_gone")
        finally:
            await asyncio.shield(self._delivered(given))
        return response

    async def file(self, request: web.Request) -> web.StreamResponse:
        """An API job's image, by the job's unguessable id: front-ends fetch it keyless."""
        name = request.match_info["job_id"]
        if not _API_JOB.fullmatch(name):
            raise web.HTTPNotFound
        return await self.image_of(name, web.HTTPNotFound())

    async def image_of(self, job_id: str, missing: Exception) -> web.Response:
        """The job's stored image; `missing` is raised when there is none (any more)."""
        stored = await self.reader.find(bus.IMAGES_BUCKET, job_id)
        data = None if stored is None else await self.reader.fetch(stored)
        if stored is None or data is None:
            raise missing
        headers = {"Cache-Control": "private, max-age=3600"}
        return web.Response(body=bytes(data), content_type=stored.content_type, headers=headers)

    async def admit(self, user: str, count: int) -> list[str]:
        """A rate-limit slot and a place in the key's fair share for each image; refused,
        the places already taken are given back (their jobs end before they start). The
        two are asked at once: a place taken for a request the rate limit refuses is
        given back the same way."""
        job_ids: list[str] = []
        for _ in range(count):
            job_id = api_job_id()
            decision, admission = await asyncio.gather(
                self.limiter.acquire(user), self.active.admit(user, job_id), return_exceptions=True
            )
            if isinstance(decision, BaseException) or isinstance(admission, BaseException):
                # NATS failed one of them: no place may stay taken for a job never made.
                placed = not isinstance(admission, BaseException) and admission.allowed
                for taken in [*job_ids, job_id] if placed else job_ids:
                    await self.endings.claim(taken, jobs.Ending.CANCELLED)
                failed = decision if isinstance(decision, BaseException) else admission
                assert isinstance(failed, BaseException)
                raise failed
            refusal = None
            if not decision.allowed:
                window = f"{self.limiter.limit} images per {self.limiter.window:g} s"
                refusal = errors.too_many(f"Rate limit reached: {window}.", decision.retry_after)
            elif not admission.allowed:
                limit = self.active.limit
                refusal = errors.too_many(
                    f"Too many images in progress for this key (at most {limit}).", 5.0
                )
            if refusal is not None:
                given_back = [*job_ids, job_id] if admission.allowed else job_ids
                for taken in given_back:
                    await self.endings.claim(taken, jobs.Ending.CANCELLED)
                raise refusal
            job_ids.append(job_id)
        return job_ids

    async def publish_jobs(
        self, job_ids: list[str], verdict: Accepted, key: ApiKey, webhook_url: str | None = None
    ) -> list[ImageRequested]:
        now = datetime.now(UTC)
        requested = [
            api_requested(
                job=job_id,
                model=verdict.model,
                prompt=verdict.prompt,
                params=verdict.params,
                key_name=key.name,
                requested_at=now,
                webhook_url=webhook_url,
            )
            for job_id in job_ids
        ]
        try:
            for event in requested:
                await self.publish(event)
        except nats.errors.Error:
            await self._cancel(requested, {})  # each ends, so none holds a place
            raise
        log.info("gateway.api_accepted", images=len(job_ids))
        return requested

    async def _wait(
        self, requested: list[ImageRequested], futures: dict[str, asyncio.Future[jobs.Result]]
    ) -> list[ImageGenerated]:
        """Every job's image; the first failure fails the call and cancels the rest. A
        client gone, or out of patience, cancels them all."""
        try:
            async with asyncio.timeout(self.wait_seconds):
                for future in asyncio.as_completed(futures.values()):
                    result = await future
                    if not isinstance(result, ImageGenerated):
                        raise _failure(result)
        except TimeoutError:
            await self._cancel(requested, futures)
            raise errors.ApiError(
                504, "The images were not ready in time.", type="server_error", code="timeout"
            ) from None
        except BaseException:
            await self._cancel(requested, futures)
            raise
        return [cast(ImageGenerated, futures[event.job_id].result()) for event in requested]

    async def _cancel(
        self, requested: list[ImageRequested], futures: dict[str, asyncio.Future[jobs.Result]]
    ) -> None:
        """Cancel the jobs not ended yet. Shielded: a client that went away cancelled this
        handler, yet its jobs must not go on using the backend."""
        for event in requested:
            future = futures.get(event.job_id)
            if future is not None and future.done():
                continue
            try:
                await asyncio.shield(
                    jobs.cancel(self.endings, self.publish, event.job_id, event.model, event.job)
                )
            except nats.errors.Error as error:
                log.warning("gateway.api_cancel_failed", job_id=event.job_id, error=repr(error))

    async def _image(
        self, result: ImageGenerated, body: ImagesRequest, request: web.Request
    ) -> ImageData:
        """The image as the client asked for it, once its ending is claimed. The bytes are
        read while the claim is made: a cancelled job's are then dropped."""
        fetch = body.response_format == "b64_json"
        ending, data = await asyncio.gather(
            self.endings.claim(result.job_id, jobs.Ending.DELIVERING),
            self._bytes(result) if fetch else asyncio.sleep(0),
        )
        if ending is not jobs.Ending.DELIVERING:
            raise errors.ApiError(409, "The request was cancelled.", code="cancelled")
        if not fetch:
            path = request.app.router["file"].url_for(job_id=result.job_id)
            url = str(request.url.origin().join(path))
            return ImageData(url=url, revised_prompt=result.prompt)
        if data is None:
            raise errors.failed(ErrorCode.EXPIRED)
        encoded = base64.b64encode(data).decode()
        return ImageData(b64_json=encoded, revised_prompt=result.prompt)

    async def _bytes(self, result: ImageGenerated) -> memoryview | None:
        try:
            return await self.reader.fetch(result.image)
        except ImageCorrupt as error:
            log.error("gateway.api_image_corrupt", job_id=result.job_id, error=str(error))
            return None

    async def _delivered(self, results: list[ImageGenerated]) -> None:
        try:
            for result in results:
                await self.publish(ImageDelivered.after(result))
        except nats.errors.Error as error:  # the answer is sent: nothing to fail any more
            log.warning("gateway.api_delivered_unpublished", error=repr(error))


async def read_body(request: web.Request, schema: type[M]) -> M:
    """The body as `schema`; 400 naming the field for bad JSON or a value out of range
    (413 for one over the size limit comes from aiohttp, before this)."""
    raw = await request.read()
    try:
        return schema.model_validate_json(raw)
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        if first["type"] == "json_invalid" or not first["loc"]:
            raise errors.bad_request("The body is not a JSON object.") from None
        param = ".".join(str(part) for part in first["loc"])
        raise errors.bad_request(f"{param}: {first['msg']}", param=param) from None


def rejection(rejected: Rejected) -> errors.ApiError:
    match rejected.reason:
        case Reason.UNKNOWN_MODEL:
            return errors.ApiError(
                400,
                f"The model {rejected.model!r} does not exist.",
                param="model",
                code="model_not_found",
            )
        case Reason.EMPTY_PROMPT:
            return errors.bad_request("The prompt is empty.", param="prompt")
        case Reason.PROMPT_TOO_LONG:
            return errors.bad_request(
                f"The prompt is too long ({rejected.length} characters).", param="prompt"
            )
        case Reason.BLOCKED:
            return errors.moderated()
        case Reason.BAD_PARAMETER:
            detail = ENGLISH.say(rejected.detail) if rejected.detail else "A parameter is wrong."
            return errors.bad_request(detail, param=params.field_of(rejected.param))
        case Reason.PHOTO_NOT_TAKEN | Reason.PHOTO_NEEDED:  # the API sends no photos yet
            return errors.bad_request(
                f"The model {rejected.model!r} starts from a photo, which the API cannot send.",
                param="model",
            )


def _failure(result: jobs.Result) -> errors.ApiError:
    if isinstance(result, ImageFailed):
        return errors.failed(result.error_code)
    assert isinstance(result, ImageCancelled)
    return errors.ApiError(409, "The request was cancelled.", code="cancelled")


def _json(model: BaseModel) -> web.Response:
    return web.json_response(text=model.model_dump_json(exclude_none=True))
