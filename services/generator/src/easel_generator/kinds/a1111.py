"""`a1111`: AUTOMATIC1111's web UI API, also served by Forge and SD.Next.

`POST /sdapi/v1/txt2img` (`/img2img` from a photo, sent base64 in `init_images`, with
`strength` as `denoising_strength`) blocks until the image is done and answers JSON:
`images` (base64) and `info` (a JSON string holding the seed used). The job is named with
`force_task_id`, so that `POST /internal/progress {id_task}` can tell whether it is the one
running: a cancel interrupts the backend (`POST /sdapi/v1/interrupt`, which stops whatever
runs and takes no id) only then. While the render runs, `/internal/progress` is asked about it
once a second (`GET /sdapi/v1/progress`, about whatever runs, where a build lacks it).
`--api-auth user:pass` is the model's api_key, sent as basic auth.
"""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
from typing import Any

import httpx
import structlog

from easel.events import ErrorCode
from easel.settings import ModelSpec
from easel_generator import verdicts
from easel_generator.kinds._types import Answer, Render, base64_image
from easel_generator.kinds.plain import MAX_IMAGE_BYTES, read

log = structlog.get_logger("easel.generator")
MAX_ANSWER_BYTES = MAX_IMAGE_BYTES * 4 // 3 + (1 << 20)  # one base64 image and its info
INTERRUPT_SECONDS = 5.0
PROGRESS_EVERY_SECONDS = 1.0


def endpoint(render: Render) -> str:
    return "img2img" if render.photo is not None else "txt2img"


def request_body(spec: ModelSpec, render: Render, task: str) -> dict[str, Any]:
    """txt2img's (or img2img's) fields: the model's defaults, then the job's own (pure)."""
    params = dict(render.params)
    if (strength := params.pop("strength", None)) is not None:
        params["denoising_strength"] = strength
    body: dict[str, Any] = {"seed": -1, **spec.defaults, **params}
    body["prompt"] = render.prompt
    if render.photo is not None:
        body["init_images"] = [base64.b64encode(render.photo.data).decode()]
    if (size := render.width_height) is not None:
        body["width"], body["height"] = size
    # One image, returned, not also written to the server's disk.
    body |= {"batch_size": 1, "n_iter": 1, "send_images": True, "save_images": False}
    body["force_task_id"] = task
    return body


def answer(status: int, retry_after: str | None, body: verdicts.Body) -> Answer:
    """The verdict on txt2img's or img2img's answer (pure)."""
    if not 200 <= status < 300:
        return Answer(status, verdicts.classify_response(status, None, retry_after, body))
    try:
        parsed = json.loads(bytes(body))
        encoded = parsed["images"][0]
    except (ValueError, KeyError, IndexError, TypeError):
        return Answer(status, verdicts.Failure(ErrorCode.INVALID_IMAGE, "no images[0]"))
    return base64_image(status, encoded, "images[0]", _seed(parsed))


def _seed(parsed: dict[str, Any]) -> int | None:
    """`info` is a JSON string inside the JSON; its `seed` is the one the image used."""
    try:
        seed = json.loads(parsed["info"])["seed"]
    except (ValueError, KeyError, TypeError):
        return None
    return seed if isinstance(seed, int) and not isinstance(seed, bool) else None


class A1111:
    def __init__(self, spec: ModelSpec, client: httpx.AsyncClient) -> None:
        self._spec = spec
        self._client = client
        self._base = spec.url.rstrip("/")
        self._headers: dict[str, str] = {}
        if spec.api_key is not None:  # `user:pass`, as --api-auth takes it: HTTP basic
            pair = base64.b64encode(spec.api_key.get_secret_value().encode()).decode()
            self._headers["Authorization"] = f"Basic {pair}"

    async def attempt(self, render: Render) -> Answer:
        task = f"task(easel{secrets.token_hex(8)})"  # the web UI's own form of an id
        url = f"{self._base}/sdapi/v1/{endpoint(render)}"
        watch = asyncio.create_task(self._watch(task, render))
        try:
            body = request_body(self._spec, render, task)
            async with self._client.stream(
                "POST", url, json=body, headers=self._headers
            ) as response:
                data, complete = await read(response, MAX_ANSWER_BYTES)
        except (asyncio.CancelledError, httpx.HTTPError):
            # Given up on, timed out or cut off: the render must not hold the GPU on (a
            # retry would start a second one).
            await asyncio.shield(self._interrupt(task))
            raise
        finally:
            watch.cancel()
            await asyncio.wait([watch])  # ended before the answer is read, or given up
        if not complete:
            return Answer(response.status_code, verdicts.too_large(MAX_IMAGE_BYTES))
        return answer(response.status_code, response.headers.get("retry-after"), data)

    async def _watch(self, task: str, render: Render) -> None:
        """Tells `render` how far the task has come, once a second, while it runs. A
        question that fails is skipped: progress is a courtesy, the render goes on."""
        ask_task = True
        while True:
            await asyncio.sleep(PROGRESS_EVERY_SECONDS)
            try:
                if ask_task:
                    answer = await self._task_state(task)
                    if answer.status_code == 404:  # a build without it: ask about what runs
                        ask_task = False
                        continue
                    state = answer.json()
                    done = state.get("progress") if state.get("active") is True else None
                else:
                    answer = await self._client.get(
                        f"{self._base}/sdapi/v1/progress", headers=self._headers
                    )
                    done = answer.json().get("progress")
            except (httpx.HTTPError, ValueError, AttributeError):
                continue
            if isinstance(done, int | float) and not isinstance(done, bool):
                render.report(float(done))

    async def _task_state(self, task: str) -> httpx.Response:
        """`/internal/progress` about our task: whether it runs (`active`), how far."""
        return await self._client.post(
            f"{self._base}/internal/progress",
            json={"id_task": task, "id_live_preview": -1, "live_preview": False},
            headers=self._headers,
        )

    async def _interrupt(self, task: str) -> None:
        """Stop the backend's render if it is ours: a job given up on (cancelled, or this
        replica stopping) must not hold the one GPU the next job waits for."""
        try:
            async with asyncio.timeout(INTERRUPT_SECONDS):
                progress = await self._task_state(task)
                if progress.is_success and progress.json().get("active") is True:
                    await self._client.post(
                        f"{self._base}/sdapi/v1/interrupt", headers=self._headers
                    )
                    log.info("generator.backend_interrupted", task=task)
        except (httpx.HTTPError, TimeoutError, ValueError) as error:
            log.warning("generator.backend_interrupt_failed", error=repr(error))
