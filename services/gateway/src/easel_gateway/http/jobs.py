"""Native jobs: POST /v1/jobs (202 at once, `Idempotency-Key` honoured), GET one, its
events (SSE), GET the key's list, DELETE (cancel), GET its image. A job is visible to the
key that made it only (404 otherwise, as if it did not exist)."""

from __future__ import annotations

import asyncio
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

import nats.errors
import nats.js.errors
from aiohttp import web
from nats.js import JetStreamContext
from nats.js.kv import KeyValue
from pydantic import ValidationError

from easel import bus, jobs
from easel.events import ImageProgress
from easel.jobs import JobRecord, JobStore, Owner, ServiceTimes
from easel_gateway.core.commands import ImageRequest
from easel_gateway.core.jobs import api_user
from easel_gateway.core.validation import Rejected, validate
from easel_gateway.core.webhooks import private_host, url_problem
from easel_gateway.http import errors
from easel_gateway.http.changes import JobChanges
from easel_gateway.http.images import API_KEY, Images, read_body, rejection
from easel_gateway.http.schemas import JobAccepted, JobLinks, JobList, JobRequest, JobView
from easel_gateway.http.views import VIEW_LAG, finished, job_view

WRITE_SECONDS = 30.0
_SSE_HEADERS = {
    "Content-Type": "text/event-stream",
    "Cache-Control": "no-cache",
    "X-Accel-Buffering": "no",  # nginx: pass each event on at once
}
_MAX_LIST = 100
_IDEMPOTENCY_KEY = 256  # characters at most


@dataclass(frozen=True)
class Jobs:
    images: Images  # validation, limits and publishing, shared with the synchronous call
    store: JobStore
    js: JetStreamContext
    service_times: ServiceTimes
    idempotency: KeyValue
    changes: JobChanges
    keepalive_seconds: float  # a comment this often keeps idle proxies from closing SSE
    allow_private: bool  # WEBHOOK_ALLOW_PRIVATE

    async def create(self, request: web.Request) -> web.Response:
        key = request[API_KEY]
        body = await read_body(request, JobRequest)
        model = body.model.lower() if body.model else None
        verdict = validate(
            ImageRequest(model, body.prompt),
            self.images.registry,
            self.images.blocklist,
            body.flags(),
        )
        if isinstance(verdict, Rejected):
            raise rejection(verdict)
        if body.webhook_url is not None:
            problem = url_problem(body.webhook_url)
            host = urlsplit(body.webhook_url).hostname or ""
            if problem is None and not self.allow_private and private_host(host):
                problem = "a private or loopback address (WEBHOOK_ALLOW_PRIVATE is off)"
            if problem is not None:
                raise errors.bad_request(f"webhook_url: {problem}", param="webhook_url")
        unique = [verdict.model, verdict.prompt, body.webhook_url, verdict.params.model_dump()]
        digest = hashlib.sha256(json.dumps(unique).encode()).hexdigest()
        slot = _slot(key.name, request.headers.get("Idempotency-Key"))
        if slot is not None and (earlier := await self._earlier(slot, digest)) is not None:
            return await self._accepted(request, earlier)
        [job_id] = await self.images.admit(api_user(key.name), 1)
        if slot is not None:
            record = json.dumps({"job": job_id, "body": digest}).encode()
            try:
                await self.idempotency.create(slot, record)
            except nats.js.errors.KeyWrongLastSequenceError:  # the same key, at once
                await self.images.endings.claim(job_id, jobs.Ending.CANCELLED)  # its place
                earlier = await self._earlier(slot, digest)
                assert earlier is not None, "created by the other request"
                return await self._accepted(request, earlier)
        await self.images.publish_jobs([job_id], verdict, key, body.webhook_url)
        return await self._accepted(request, job_id)

    async def one(self, request: web.Request) -> web.Response:
        record = await self._owned(request)
        return await self._view(request, record)

    async def events(self, request: web.Request) -> web.StreamResponse:
        """Server-Sent Events: the view at each change (`id:` its revision), from after
        `Last-Event-ID` if given; a comment every `keepalive_seconds` through idle proxies;
        the stream ends after a final state."""
        record = await self._owned(request)
        last = _last_event_id(request)
        response = web.StreamResponse(headers=_SSE_HEADERS)
        await response.prepare(request)
        shown: int | None = None  # the last percent a view was written for
        with self.changes.follow(record.job_id) as follower:
            if (current := await self.store.revision(record.job_id)) is not None:
                follower.offer(*current)
            while True:
                follower.changed.clear()  # before reading: an offer after it wakes us
                latest = follower.latest
                if latest is not None and latest[0] > last:
                    last, record = latest
                    shown = follower.percent
                    view = await self._shown(request, record, percent=shown)
                    await _write(
                        response, f"id: {last}\nevent: job\ndata: {view.model_dump_json()}\n\n"
                    )
                    continue
                if latest is not None and finished(latest[1]):
                    return response  # the final state was sent, now or before a reconnect
                if latest is not None and follower.percent not in (None, shown):
                    # The same record, further on: no id, so a reconnect resumes at the
                    # record's, and the next report brings the percent again.
                    shown = follower.percent
                    view = await self._shown(request, latest[1], percent=shown)
                    await _write(response, f"event: job\ndata: {view.model_dump_json()}\n\n")
                    continue
                try:
                    async with asyncio.timeout(self.keepalive_seconds):
                        await follower.changed.wait()
                except TimeoutError:
                    await _write(response, ": keepalive\n\n")

    async def many(self, request: web.Request) -> web.Response:
        try:
            limit = int(request.query.get("limit", "20"))
        except ValueError:
            raise errors.bad_request("limit: an integer", param="limit") from None
        if not 1 <= limit <= _MAX_LIST:
            raise errors.bad_request(f"limit: 1 to {_MAX_LIST}", param="limit")
        owner = Owner(channel="api", user=request[API_KEY].name).key
        records = await self.store.of_owner(owner, limit)
        base = _base(request)
        views = [job_view(record, base) for record in records]
        return web.json_response(text=JobList(data=views).model_dump_json())

    async def cancel(self, request: web.Request) -> web.Response:
        record = await self._owned(request)
        if not finished(record):
            ending = await jobs.cancel(
                self.images.endings,
                self.images.publish,
                record.job_id,
                record.model,
                record.context(),
            )
            if ending is not jobs.Ending.CANCELLED:
                raise errors.ApiError(409, f"The job has ended ({ending.value}).", code="ended")
            return await self._view(request, record, cancelled=True)
        if record.state is not jobs.JobState.CANCELLED:
            raise errors.ApiError(409, f"The job has ended ({record.state.value}).", code="ended")
        return await self._view(request, record)

    async def image(self, request: web.Request) -> web.StreamResponse:
        record = await self._owned(request)
        missing = errors.ApiError(
            404, "No image: not generated yet, failed, or expired.", code="no_image"
        )
        return await self.images.image_of(record.job_id, missing)

    async def _owned(self, request: web.Request) -> JobRecord:
        job_id = request.match_info["job_id"]
        record = (
            await self.store.get(job_id, within=VIEW_LAG) if job_id.startswith("api_") else None
        )
        if record is None or record.owner != Owner(channel="api", user=request[API_KEY].name):
            raise errors.ApiError(404, f"No job {job_id!r}.", param="id", code="not_found")
        return record

    async def _view(
        self, request: web.Request, record: JobRecord, *, cancelled: bool = False
    ) -> web.Response:
        view = await self._shown(request, record, cancelled=cancelled)
        return web.json_response(text=view.model_dump_json())

    async def _shown(
        self,
        request: web.Request,
        record: JobRecord,
        *,
        cancelled: bool = False,
        percent: int | None = None,
    ) -> JobView:
        if cancelled:
            now = datetime.now(UTC)
            record = record.model_copy(
                update={"stages": {**record.stages, jobs.JobState.CANCELLED: now}}
            )
        position = estimate = None
        if record.state is jobs.JobState.WAITING:
            try:
                position = (await jobs.positions(self.js, record.model)).get(record.job_id)
            except nats.errors.Error:
                position = None  # a courtesy: the view stands without it
        service = await self.service_times.of(record.model)
        spec = self.images.registry.get(record.model)
        if service is not None and spec is not None and position is not None:
            estimate = jobs.ready_in(position, spec.capacity, service)
        if record.state is jobs.JobState.GENERATING and percent is None:
            percent = await self._percent(record)
        return job_view(record, _base(request), position, estimate, percent)

    async def _percent(self, record: JobRecord) -> int | None:
        """The render's latest progress, if its backend reports any."""
        subject = ImageProgress.subject_of(record.model, record.job_id)
        try:
            msg = await self.js.get_last_msg(bus.PROGRESS, subject)
            return ImageProgress.model_validate_json(msg.data or b"").percent
        except (nats.errors.Error, ValidationError):
            return None  # none yet, or gone: the view stands without it

    async def _earlier(self, slot: str, digest: str) -> str | None:
        """The job this Idempotency-Key made before; 409 if it came with another body."""
        try:
            entry = await self.idempotency.get(slot)
        except nats.js.errors.NotFoundError:
            return None
        earlier = json.loads(entry.value or b"{}")
        if earlier.get("body") != digest:
            raise errors.ApiError(
                409,
                "This Idempotency-Key was used with a different body.",
                param="Idempotency-Key",
                code="idempotency_key_reused",
            )
        return str(earlier["job"])

    async def _accepted(self, request: web.Request, job_id: str) -> web.Response:
        base = _base(request)
        links = JobLinks(self=f"{base}/v1/jobs/{job_id}", image=f"{base}/v1/jobs/{job_id}/image")
        return web.json_response(
            text=JobAccepted(id=job_id, links=links).model_dump_json(),
            status=202,
            headers={"Location": f"/v1/jobs/{job_id}"},
        )


def _last_event_id(request: web.Request) -> int:
    """Where a reconnecting client left off; 0 (from the start) if absent or not ours."""
    try:
        return max(0, int(request.headers.get("Last-Event-ID", "0")))
    except ValueError:
        return 0


async def _write(response: web.StreamResponse, text: str) -> None:
    # A client that takes no data for this long is gone or stuck: its stream ends, and
    # with it all this handler holds.
    async with asyncio.timeout(WRITE_SECONDS):
        await response.write(text.encode())


def _slot(key_name: str, idempotency_key: str | None) -> str | None:
    if idempotency_key is None:
        return None
    if not 1 <= len(idempotency_key) <= _IDEMPOTENCY_KEY:
        raise errors.bad_request(
            f"Idempotency-Key: 1 to {_IDEMPOTENCY_KEY} characters", param="Idempotency-Key"
        )
    return f"{key_name}.{hashlib.sha256(idempotency_key.encode()).hexdigest()[:40]}"


def _base(request: web.Request) -> str:
    return str(request.url.origin())
