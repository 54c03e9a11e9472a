"""`comfyui`: a ComfyUI server running the model's workflow (API format).

Each job writes its fields into a copy of the graph where the model's `inputs` say (a photo
to start from is uploaded first, `POST /upload/image`, and its name written in), opens
`/ws?clientId=` first (so no message is missed), then `POST /prompt`. The websocket says
when the prompt runs, fails (`execution_error`), is interrupted, or is done; the image is
the first one any output node lists in `GET /history/{id}`, fetched with `GET /view`. A
400 with `node_errors` is a graph the server refuses: `bad_request`, never retried. A job
given up on is deleted from the queue while pending, or interrupted while running.
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import json
import posixpath
import random
import time
import uuid
from dataclasses import dataclass
from typing import Any

import aiohttp
import httpx
import structlog

from easel.events import ErrorCode
from easel.settings import ModelSpec
from easel_generator import verdicts
from easel_generator.kinds._types import Answer, Photo, Render, Rendered
from easel_generator.kinds.plain import MAX_IMAGE_BYTES, read

log = structlog.get_logger("easel.generator")
CANCEL_SECONDS = 5.0
_SEED_MAX = 2**32 - 1  # what ComfyUI's samplers take, with room to spare on most


def graph_for(
    spec: ModelSpec, render: Render, seed: int, image: str | None = None
) -> dict[str, Any]:
    """The model's workflow with this job's fields written in; `image` is the uploaded
    photo's name, as LoadImage reads it (pure)."""
    assert spec.graph is not None, "checked when the registry was loaded"
    graph = copy.deepcopy(spec.graph)
    values: dict[str, object] = {"prompt": render.prompt, "seed": seed}
    if image is not None:
        values["image"] = image
    if (size := render.width_height) is not None:
        values["width"], values["height"] = size
    values |= {k: v for k, v in render.params.items() if k in spec.inputs}
    for field, value in values.items():
        if place := spec.inputs.get(field):
            node, _, name = place.partition(".inputs.")
            graph[node]["inputs"][name] = value
    return graph


@dataclass(frozen=True)
class Ended:
    """How a prompt's run ended, as the websocket told it."""

    verdict: verdicts.Failure | verdicts.Retryable | None  # None: it succeeded


def progress_of(message: dict[str, Any], prompt_id: str) -> float | None:
    """How far our prompt's sampler has come, if this is a `progress` message (pure)."""
    data = message.get("data")
    if message.get("type") != "progress" or not isinstance(data, dict):
        return None
    if data.get("prompt_id") != prompt_id:
        return None
    value, most = data.get("value"), data.get("max")
    if not isinstance(value, int | float) or not isinstance(most, int | float) or most <= 0:
        return None
    return float(value) / float(most)


def on_message(message: dict[str, Any], prompt_id: str) -> Ended | None:
    """The end of our prompt's run, if this message tells it (pure)."""
    kind, data = message.get("type"), message.get("data") or {}
    if not isinstance(data, dict) or data.get("prompt_id") != prompt_id:
        return None
    if kind == "execution_success" or (kind == "executing" and data.get("node") is None):
        return Ended(None)
    if kind == "execution_error":
        detail = f"{data.get('node_type')}: {data.get('exception_type')}"
        return Ended(verdicts.Failure(ErrorCode.BAD_REQUEST, f"execution error in {detail}"))
    if kind == "execution_interrupted":
        # Not by us (we stop waiting first): someone at the server stopped it; try again.
        return Ended(verdicts.Retryable(ErrorCode.BACKEND_UNAVAILABLE, "interrupted"))
    return None


def first_image(history: dict[str, Any], prompt_id: str) -> dict[str, str] | None:
    """The first image any output node lists (pure)."""
    outputs = (history.get(prompt_id) or {}).get("outputs") or {}
    for output in outputs.values():
        for image in (output or {}).get("images") or []:
            if isinstance(image, dict) and image.get("filename"):
                return {k: str(image.get(k, "")) for k in ("filename", "subfolder", "type")}
    return None


class ComfyUI:
    def __init__(self, spec: ModelSpec, client: httpx.AsyncClient) -> None:
        self._spec = spec
        self._client = client
        self._base = spec.url.rstrip("/")
        self._timeout = client.timeout.read or 120.0

    async def attempt(self, render: Render) -> Answer:
        client_id = uuid.uuid4().hex
        # A workflow's seed is fixed in the file: each job gets its own, or every image of
        # a prompt would be the same one.
        seed = int(render.params.get("seed", random.randint(0, _SEED_MAX)))
        image = None
        if render.photo is not None:
            uploaded = await self._upload(render.photo)
            if isinstance(uploaded, Answer):
                return uploaded
            image = uploaded
        graph = graph_for(self._spec, render, seed, image)
        reported = seed if "seed" in self._spec.inputs else None
        deadline = time.monotonic() + self._timeout
        ws_url = self._base.replace("http", "ws", 1) + f"/ws?clientId={client_id}"
        async with aiohttp.ClientSession() as session:
            try:
                ws = await session.ws_connect(ws_url, timeout=aiohttp.ClientWSTimeout(ws_close=5))
            except (aiohttp.ClientError, TimeoutError) as error:
                raise httpx.ConnectError(f"websocket: {error!r}") from None
            # Named by us (ComfyUI takes a `prompt_id`), so a job given up on while its
            # POST is under way can still be found in the queue and taken out.
            prompt_id = str(uuid.uuid4())
            body = {"prompt": graph, "client_id": client_id, "prompt_id": prompt_id}
            async with ws:
                try:
                    queued = await self._client.post(f"{self._base}/prompt", json=body)
                    if not queued.is_success:
                        return refusal(queued)
                    # An older build names it itself.
                    prompt_id = _prompt_id(queued, prompt_id)
                    ended = await _ending(ws, prompt_id, deadline, render)
                except (asyncio.CancelledError, httpx.HTTPError):
                    # Given up on, timed out or cut off: it must not go on using the GPU
                    # (a retry would queue it a second time).
                    await asyncio.shield(self._cancel(prompt_id))
                    raise
        if ended.verdict is not None:
            return Answer(200, ended.verdict)
        return await self._image(prompt_id, reported)

    async def _upload(self, photo: Photo) -> str | Answer:
        """The photo in the server's input folder, named by its content (a retry or an
        "Again" overwrites the one file, so the folder does not grow per attempt): what
        LoadImage is told to read; or the refusal."""
        digest = hashlib.sha256(photo.data).hexdigest()[:32]
        name = f"easel_{digest}{posixpath.splitext(photo.filename)[1]}"
        files = {"image": (name, photo.data, photo.content_type)}
        uploaded = await self._client.post(
            f"{self._base}/upload/image", files=files, data={"type": "input", "overwrite": "true"}
        )
        if not uploaded.is_success:
            return refusal(uploaded)
        try:
            named = uploaded.json()
            name, subfolder = str(named["name"]), str(named.get("subfolder") or "")
        except (ValueError, KeyError, TypeError):
            return Answer(uploaded.status_code, verdicts.Failure(ErrorCode.BAD_REQUEST, "upload"))
        return f"{subfolder}/{name}" if subfolder else name

    async def _image(self, prompt_id: str, seed: int | None) -> Answer:
        history = await self._client.get(f"{self._base}/history/{prompt_id}")
        try:
            listed = history.json() if history.is_success else None
            found = first_image(listed, prompt_id) if isinstance(listed, dict) else None
        except (ValueError, AttributeError, TypeError):
            found = None  # not ComfyUI's history: no image to fetch
        if found is None:
            failure = verdicts.Failure(ErrorCode.INVALID_IMAGE, "no image in the history")
            return Answer(history.status_code, failure)
        async with self._client.stream("GET", f"{self._base}/view", params=found) as response:
            data, complete = await read(response, MAX_IMAGE_BYTES)
        if not complete:
            return Answer(response.status_code, verdicts.too_large(MAX_IMAGE_BYTES))
        verdict = verdicts.classify_response(
            response.status_code, response.headers.get("content-type"), None, data
        )
        if isinstance(verdict, verdicts.Success):
            image = Rendered(data, verdict.content_type, seed)
            return Answer(response.status_code, verdict, image)
        return Answer(response.status_code, verdict)

    async def _cancel(self, prompt_id: str) -> None:
        """Take the prompt out of the queue; if it already runs, interrupt it (by its id,
        so another client's prompt is never stopped by ours)."""
        try:
            async with asyncio.timeout(CANCEL_SECONDS):
                queue = (await self._client.get(f"{self._base}/queue")).json()
                running = {str(item[1]) for item in queue.get("queue_running", [])}
                if prompt_id in running:
                    await self._client.post(
                        f"{self._base}/interrupt", json={"prompt_id": prompt_id}
                    )
                else:
                    await self._client.post(f"{self._base}/queue", json={"delete": [prompt_id]})
                log.info("generator.backend_cancelled", running=prompt_id in running)
        except (httpx.HTTPError, TimeoutError, ValueError, TypeError, IndexError) as error:
            log.warning("generator.backend_cancel_failed", error=repr(error))


async def _ending(
    ws: aiohttp.ClientWebSocketResponse, prompt_id: str, deadline: float, render: Render
) -> Ended:
    """Reads the websocket until our prompt's run ends, telling `render` its progress; a
    timeout past `deadline`."""
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise httpx.ReadTimeout("no end of the prompt in time")
        try:
            message = await ws.receive(timeout=left)
        except TimeoutError:
            raise httpx.ReadTimeout("no end of the prompt in time") from None
        if message.type == aiohttp.WSMsgType.TEXT:
            try:
                parsed = json.loads(message.data)
            except ValueError:
                continue
            if not isinstance(parsed, dict):
                continue
            if (done := progress_of(parsed, prompt_id)) is not None:
                render.report(done)
            elif ended := on_message(parsed, prompt_id):
                return ended
        elif message.type in (
            aiohttp.WSMsgType.CLOSE,
            aiohttp.WSMsgType.CLOSED,
            aiohttp.WSMsgType.ERROR,
        ):
            raise httpx.RemoteProtocolError("the websocket closed before the prompt ended")
        # BINARY: a preview frame; nothing to read in it here


def _prompt_id(queued: httpx.Response, ours: str) -> str:
    try:
        named = queued.json().get("prompt_id", ours)
    except (ValueError, AttributeError):
        return ours  # not the JSON ComfyUI answers: keep the id we gave it
    return str(named)


def refusal(response: httpx.Response) -> Answer:
    """POST /prompt's refusal: a graph with node_errors is final; the rest as usual."""
    status = response.status_code
    try:
        body = response.json()
    except ValueError:
        body = None
    if status == 400 and isinstance(body, dict) and body.get("node_errors") is not None:
        error = body.get("error") or {}
        message = error.get("message", "invalid prompt") if isinstance(error, dict) else error
        return Answer(status, verdicts.Failure(ErrorCode.BAD_REQUEST, f"HTTP 400: {message}"))
    verdict = verdicts.classify_response(
        status, None, response.headers.get("retry-after"), response.content
    )
    return Answer(status, verdict)
