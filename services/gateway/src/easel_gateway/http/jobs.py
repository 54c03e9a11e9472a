"""Native jobs: POST /v1/jobs (202 at once, `Idempotency-Key` honoured), GET one, GET the
key's list, DELETE (cancel), GET its image. A job is visible to the key that made it only
(404 otherwise, as if it did not exist)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime

import nats.errors
import nats.js.errors
from aiohttp import web
from nats.js import JetStreamContext
from nats.js.kv import KeyValue

from easel import bus, jobs
from easel.jobs import JobRecord, JobStore, Owner, ServiceTimes
from easel_gateway.core.commands import ImageRequest
from easel_gateway.core.jobs import api_user
from easel_gateway.core.validation import Rejected, validate
from easel_gateway.http import errors
from easel_gateway.http.images import API_KEY, Images, read_body, rejection
from easel_gateway.http.schemas import JobList, JobRequest
from easel_gateway.http.views import finished, job_view

_VIEW_LAG = 3.0  # seconds a job just made may take to appear in the view
_MAX_LIST = 100
_IDEMPOTENCY_KEY = 256  # characters at most


@dataclass(frozen=True)
class Jobs:
    images: Images  # validation, limits and publishing, shared with the synchronous call
    store: JobStore
    js: JetStreamContext
    service_times: ServiceTimes
    idempotency: KeyValue

    async def create(self, request: web.Request) -> web.Response:
        key = request[API_KEY]
        body = await read_body(request, JobRequest)
        model = body.model.lower() if body.model else None
        verdict = validate(
            ImageRequest(model, body.prompt), self.images.registry, self.images.blocklist
        )
        if isinstance(verdict, Rejected):
            raise rejection(verdict)
        digest = hashlib.sha256(json.dumps([verdict.model, verdict.prompt]).encode()).hexdigest()
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
        await self.images.publish_jobs([job_id], verdict, key)
        return await self._accepted(request, job_id)

    async def one(self, request: web.Request) -> web.Response:
        record = await self._owned(request)
        return await self._view(request, record)

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
        stored = await self.images.reader.find(bus.IMAGES_BUCKET, record.job_id)
        data = None if stored is None else await self.images.reader.fetch(stored)
        if stored is None or data is None:
            raise errors.ApiError(
                404, "No image: not generated yet, failed, or expired.", code="no_image"
            )
        return web.Response(body=bytes(data), content_type=stored.content_type)

    async def _owned(self, request: web.Request) -> JobRecord:
        job_id = request.match_info["job_id"]
        record = (
            await self.store.get(job_id, within=_VIEW_LAG) if job_id.startswith("api_") else None
        )
        if record is None or record.owner != Owner(channel="api", user=request[API_KEY].name):
            raise errors.ApiError(404, f"No job {job_id!r}.", param="id", code="not_found")
        return record

    async def _view(
        self, request: web.Request, record: JobRecord, *, cancelled: bool = False
    ) -> web.Response:
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
        view = job_view(record, _base(request), position, estimate)
        return web.json_response(text=view.model_dump_json())

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
        body = {
            "id": job_id,
            "links": {
                "self": f"{base}/v1/jobs/{job_id}",
                "image": f"{base}/v1/jobs/{job_id}/image",
            },
        }
        return web.json_response(body, status=202, headers={"Location": f"/v1/jobs/{job_id}"})


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
