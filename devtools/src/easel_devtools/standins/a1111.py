"""`A1111Standin`: the AUTOMATIC1111 web UI's API (the one Forge and SD.Next serve too).

It follows stable-diffusion-webui v1.10: modules/api/api.py and models.py, progress.py,
call_queue.py with fifo_lock.py, shared_state.py, processing.py and sd_samplers.py.

- `POST /sdapi/v1/txt2img` and `/img2img` hold the connection until the images are made.
  One FIFO queue lock runs one job at a time; the others wait "queued", in arrival order.
  A client that hangs up does not end its job: the real endpoint runs in a worker
  thread that never learns of it, so the job keeps the lock until it is done.
- A job's `service_time` is spread over its sampling steps, so both progress endpoints
  move a step at a time; their numbers are computed as the real ones are, quirks kept.
- `POST /sdapi/v1/interrupt` stops the running job after its current step; the job still
  answers 200 with the images made so far.
- Requests are validated as pydantic v1 under FastAPI 0.94 does: unknown fields are
  ignored, bad values get 422 `{"detail": [...]}`. Other failures get the web UI's own
  body, `{"error", "detail", "body", "errors"}`.

Images are small PNGs from `images.png`; `info` reports the requested size, as a real
render would. Faults are scripted with `workers.Behaviour`, one per generation request.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import dataclasses
import datetime
import hmac
import json
import random
import string
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, Literal

from aiohttp import hdrs, web

from easel_devtools.standins._server import StandinServer
from easel_devtools.standins.images import png, sniff
from easel_devtools.standins.workers import HTML_PAGE, Behaviour, json_error

Endpoint = Literal["txt2img", "img2img"]

VERSION = "v1.10.1"
# sd_samplers.all_samplers in v1.10; the first is where an unknown name falls back to.
SAMPLERS = (
    "DPM++ 2M",
    "DPM++ SDE",
    "DPM++ 2M SDE",
    "DPM++ 2M SDE Heun",
    "DPM++ 2S a",
    "DPM++ 3M SDE",
    "Euler a",
    "Euler",
    "LMS",
    "Heun",
    "DPM2",
    "DPM2 a",
    "DPM fast",
    "DPM adaptive",
    "Restart",
    "DDIM",
    "DDIM CFG++",
    "PLMS",
    "UniPC",
    "LCM",
)
# sd_schedulers labels: a sampler name may end with one ("DPM++ 2M Karras", the pre-1.9 names).
SCHEDULERS = (
    "Automatic",
    "Uniform",
    "Karras",
    "Exponential",
    "Polyexponential",
    "SGM Uniform",
    "KL Optimal",
    "Align Your Steps",
    "Simple",
    "Normal",
    "DDIM",
    "Beta",
)
_FINISHED_KEPT = 16  # progress.finished_tasks keeps this many


@dataclass
class A1111Job:
    """One generation request that passed validation. Times are time.monotonic()."""

    task_id: str
    endpoint: Endpoint
    prompt: str
    negative_prompt: str
    requested_seed: int
    width: int
    height: int
    steps: int
    sampler_name: str  # as resolved: an unknown name falls back to SAMPLERS[0]
    batch_size: int
    n_iter: int
    init_image: bool  # img2img was sent at least one init image
    denoising_strength: float | None  # img2img's (txt2img's only matters for hires fix)
    override_settings: dict[str, Any]
    received_at: float
    seed: int | None = None  # the concrete seed (-1 replaced), chosen when the job starts
    started_at: float | None = None  # when it got the queue lock
    finished_at: float | None = None
    status: int | None = None  # None: not answered (yet, or the server stopped first)
    interrupted: bool = False  # an interrupt arrived while it ran
    client_gone: bool = False  # the client hung up; the job ran on regardless
    images: int = 0
    source: str = "normal"  # "normal" | "script"
    # time.monotonic() of each sampling step as it completed: the progress endpoints
    # report it from then on
    steps_at: list[float] = dataclasses.field(default_factory=list)


@dataclass(frozen=True)
class Interrupt:
    at: float  # time.monotonic()
    task_id: str | None  # the job running then; None if nothing ran


# -- validation, as pydantic v1 coerces and words it ---------------------------------------


class _Invalid(Exception):
    def __init__(self, msg: str, kind: str) -> None:
        super().__init__(msg)
        self.msg, self.kind = msg, kind


def _as_int(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    try:
        return int(value)  # floats truncate and "20" parses, as in pydantic v1
    except (TypeError, ValueError, OverflowError):
        raise _Invalid("value is not a valid integer", "type_error.integer") from None


def _as_float(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise _Invalid("value is not a valid float", "type_error.float") from None


def _as_str(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):  # JSON true/false included: pydantic v1 does the same
        return str(value)
    raise _Invalid("str type expected", "type_error.str")


def _as_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    folded = value.lower() if isinstance(value, str) else value
    if isinstance(folded, int | float | str):
        if folded in {1, "1", "on", "t", "true", "y", "yes"}:
            return True
        if folded in {0, "0", "off", "f", "false", "n", "no"}:
            return False
    raise _Invalid("value could not be parsed to a boolean", "type_error.bool")


def _as_dict(value: Any) -> dict[Any, Any]:
    if isinstance(value, dict):
        return value
    try:
        return dict(value)  # a list of pairs passes, as in pydantic v1
    except (TypeError, ValueError):
        raise _Invalid("value is not a valid dict", "type_error.dict") from None


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    raise _Invalid("value is not a valid list", "type_error.list")


_Fields = dict[str, tuple[Callable[[Any], Any], Any]]

# The request models are generated from the processing classes' fields, in this order,
# then the API's own fields (models.py). Defaults are those of processing.py.
_BASE: _Fields = {
    "prompt": (_as_str, ""),
    "negative_prompt": (_as_str, ""),
    "styles": (_as_list, None),
    "seed": (_as_int, -1),
    "subseed": (_as_int, -1),
    "subseed_strength": (_as_float, 0),
    "seed_resize_from_h": (_as_int, -1),
    "seed_resize_from_w": (_as_int, -1),
    "sampler_name": (_as_str, None),
    "scheduler": (_as_str, None),
    "batch_size": (_as_int, 1),
    "n_iter": (_as_int, 1),
    "steps": (_as_int, 50),
    "cfg_scale": (_as_float, 7.0),
    "width": (_as_int, 512),
    "height": (_as_int, 512),
    "restore_faces": (_as_bool, None),
    "tiling": (_as_bool, None),
    "do_not_save_samples": (_as_bool, False),
    "do_not_save_grid": (_as_bool, False),
    "eta": (_as_float, None),
    "denoising_strength": (_as_float, None),
    "s_min_uncond": (_as_float, None),
    "s_churn": (_as_float, None),
    "s_tmax": (_as_float, None),
    "s_tmin": (_as_float, None),
    "s_noise": (_as_float, None),
    "override_settings": (_as_dict, None),
    "override_settings_restore_afterwards": (_as_bool, True),
    "refiner_checkpoint": (_as_str, None),
    "refiner_switch_at": (_as_float, None),
    "disable_extra_networks": (_as_bool, False),
    "comments": (_as_dict, None),
}
_API: _Fields = {
    "sampler_index": (_as_str, "Euler"),
    "script_name": (_as_str, None),
    "script_args": (_as_list, []),
    "send_images": (_as_bool, True),
    "save_images": (_as_bool, False),
    "alwayson_scripts": (_as_dict, {}),
    "infotext": (_as_str, None),
}
_TXT2IMG: _Fields = {
    **_BASE,
    "denoising_strength": (_as_float, 0.75),
    "enable_hr": (_as_bool, False),
    "firstphase_width": (_as_int, 0),
    "firstphase_height": (_as_int, 0),
    "hr_scale": (_as_float, 2.0),
    "hr_upscaler": (_as_str, None),
    "hr_second_pass_steps": (_as_int, 0),
    "hr_resize_x": (_as_int, 0),
    "hr_resize_y": (_as_int, 0),
    "hr_checkpoint_name": (_as_str, None),
    "hr_sampler_name": (_as_str, None),
    "hr_scheduler": (_as_str, None),
    "hr_prompt": (_as_str, ""),
    "hr_negative_prompt": (_as_str, ""),
    "force_task_id": (_as_str, None),
    **_API,
}
_IMG2IMG: _Fields = {
    **_BASE,
    "denoising_strength": (_as_float, 0.75),
    "init_images": (_as_list, None),
    "resize_mode": (_as_int, 0),
    "image_cfg_scale": (_as_float, None),
    "mask": (_as_str, None),
    "mask_blur_x": (_as_int, 4),
    "mask_blur_y": (_as_int, 4),
    "mask_blur": (_as_int, None),
    "mask_round": (_as_bool, True),
    "inpainting_fill": (_as_int, 0),
    "inpaint_full_res": (_as_bool, True),
    "inpaint_full_res_padding": (_as_int, 0),
    "inpainting_mask_invert": (_as_int, 0),
    "initial_noise_multiplier": (_as_float, None),
    "force_task_id": (_as_str, None),
    "include_init_images": (_as_bool, False),
    **_API,
}
_PROGRESS: _Fields = {  # progress.ProgressRequest
    "id_task": (_as_str, None),
    "id_live_preview": (_as_int, -1),
    "live_preview": (_as_bool, True),
}


def _validate(fields: _Fields, body: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The request's values with defaults filled in, and pydantic's errors (all of them).

    Unknown fields are dropped (pydantic v1 ignores extras). A null takes the default;
    the real server keeps it and fails later on some fields, with a 500.
    """
    if body is None:
        return {}, [{"loc": ["body"], "msg": "field required", "type": "value_error.missing"}]
    if not isinstance(body, dict):
        return {}, [
            {"loc": ["body"], "msg": "value is not a valid dict", "type": "type_error.dict"}
        ]
    values: dict[str, Any] = {}
    errors: list[dict[str, Any]] = []
    for name, (coerce, default) in fields.items():
        raw = body.get(name)
        if raw is None:
            values[name] = default.copy() if isinstance(default, list | dict) else default
            continue
        try:
            values[name] = coerce(raw)
        except _Invalid as invalid:
            errors.append({"loc": ["body", name], "msg": invalid.msg, "type": invalid.kind})
    return values, errors


def _unprocessable(errors: list[dict[str, Any]]) -> web.Response:
    return web.json_response({"detail": errors}, status=422)


def _exception_body(status: int, detail: str) -> dict[str, Any]:
    """api.py's handle_exception for an HTTPException; it drops the exception's headers."""
    return {"error": "HTTPException", "detail": detail, "body": "", "errors": f"{status}: {detail}"}


def _handled(status: int, detail: str) -> web.Response:
    return json_error(status, _exception_body(status, detail))


def _crash_body(status: int) -> dict[str, Any]:
    """What a scripted failure answers by default: a 500 is the usual one, a CUDA OOM."""
    if status == 500:
        message = "CUDA out of memory. Tried to allocate 2.00 GiB"
        return {"error": "OutOfMemoryError", "detail": "", "body": "", "errors": message}
    return _exception_body(status, HTTPStatus(status).phrase)


async def _read_json(request: web.Request) -> list[Any] | web.Response:
    """FastAPI's body reading: `[value]` (None if empty), or the answer refusing it."""
    raw = await request.read()
    if not raw:
        return [None]
    declared = request.headers.get(hdrs.CONTENT_TYPE)
    kind = request.content_type
    if declared is not None and not (kind == "application/json" or kind.endswith("+json")):
        return [raw]  # passed on as bytes, which the model then refuses as not a dict
    try:
        return [json.loads(raw)]
    except json.JSONDecodeError as bad:
        error = {
            "loc": ["body", bad.pos],
            "msg": str(bad),
            "type": "value_error.jsondecode",
            "ctx": {
                "msg": bad.msg,
                "doc": bad.doc,
                "pos": bad.pos,
                "lineno": bad.lineno,
                "colno": bad.colno,
            },
        }
        return _unprocessable([error])
    except UnicodeDecodeError:
        return _handled(400, "There was an error parsing the body")


def _sampler(name: str) -> tuple[str, str | None]:
    """sd_samplers.get_sampler_and_scheduler: a scheduler label at the end is cut off; an
    unknown sampler falls back to the first one, without an error."""
    for label in SCHEDULERS:
        if name.endswith(" " + label):
            name, scheduler = name[: -len(label) - 1], label
            break
    else:
        scheduler = None
    return (name if name in SAMPLERS else SAMPLERS[0]), scheduler


def _image_ok(encoded: Any) -> bool:
    """Would decode_base64_to_image open it? (data: URIs included; URLs are not fetched.)"""
    if not isinstance(encoded, str):
        return False
    if encoded.startswith("data:image/"):
        encoded = encoded.split(";")[1].split(",")[1]
    try:
        data = base64.b64decode(encoded)
    except (binascii.Error, ValueError):
        return False
    return sniff(data) is not None


def _quote(value: object) -> str:
    """infotext_utils.quote: values with a comma, colon or newline are JSON-quoted."""
    text = str(value)
    return json.dumps(text, ensure_ascii=False) if any(c in text for c in ",:\n") else text


@dataclass
class _State:
    """shared_state.State, the fields the progress endpoints read."""

    skipped: bool = False
    interrupted: bool = False
    stopping_generation: bool = False
    job: str = ""
    job_count: int = 0
    job_timestamp: str = "0"
    job_no: int = 0
    sampling_step: int = 0
    sampling_steps: int = 0
    time_start: float = 0.0

    def begin(self, job: str) -> None:
        self.sampling_step, self.job_count, self.job_no = 0, -1, 0
        self.job_timestamp = datetime.datetime.now().strftime("%Y%m%d%H%M%S")
        self.skipped = self.interrupted = self.stopping_generation = False
        self.time_start, self.job = time.time(), job

    def end(self) -> None:  # the rest stays as the last job left it
        self.job, self.job_count = "", 0

    def snapshot(self) -> dict[str, Any]:
        return {
            "skipped": self.skipped,
            "interrupted": self.interrupted,
            "stopping_generation": self.stopping_generation,
            "job": self.job,
            "job_count": self.job_count,
            "job_timestamp": self.job_timestamp,
            "job_no": self.job_no,
            "sampling_step": self.sampling_step,
            "sampling_steps": self.sampling_steps,
        }


@dataclass
class _Run:
    job: A1111Job
    values: dict[str, Any]  # the validated request
    behaviour: Behaviour
    scheduler: str | None
    init_ok: bool  # img2img: every init image decodes
    seed: int = -1  # the concrete seeds, chosen when the job starts (get_fixed_seed)
    subseed: int = -1


class A1111Standin(StandinServer):
    """`auth=("user", "pass")` is `--api-auth user:pass`: HTTP basic on /sdapi/v1/*."""

    def __init__(
        self,
        *,
        service_time: float = 0.0,
        auth: tuple[str, str] | None = None,
        model_name: str = "v1-5-pruned-emaonly",
        model_hash: str = "6ce0161689",
        image_size: int | None = None,
        port: int = 0,
    ) -> None:
        super().__init__(port=port)
        self.service_time = service_time  # seconds per job, spread over its sampling steps
        self.auth = auth
        self.model_name = model_name
        self.model_hash = model_hash
        self.image_size = image_size  # pad each PNG to this many bytes, as workers.py does
        self._script: deque[Behaviour] = deque()
        self._rng = random.Random(0)
        self._jobs: list[A1111Job] = []
        self._interrupts: list[Interrupt] = []
        self._responses: Counter[tuple[str, int]] = Counter()
        self._state = _State()
        self._running: A1111Job | None = None
        # progress.py's bookkeeping: current_task, pending_tasks, finished_tasks.
        self._current_task: str | None = None
        self._pending: dict[str, float] = {}
        self._finished: deque[str] = deque(maxlen=_FINISHED_KEPT)
        self._queue_lock: asyncio.Lock | None = None  # made on the server's loop
        self._tasks: set[asyncio.Task[web.Response | None]] = set()

    # -- configuring behaviour -----------------------------------------------------------
    def script(self, behaviours: Iterable[int | Behaviour]) -> None:
        """Append behaviours, one per valid generation request in arrival order.

        `hang` wedges the job: it keeps the queue lock until the server stops. A status
        other than 200 is a failure inside processing: the job took its turn (after
        `delay`) and, as in the real server, never counts as completed. `html` is a proxy
        answering in front of the server, without queueing.
        """
        with self._lock:
            for item in behaviours:
                self._script.append(item if isinstance(item, Behaviour) else Behaviour(item))
            self._changed()

    # -- reading what happened -----------------------------------------------------------
    @property
    def jobs(self) -> list[A1111Job]:
        with self._lock:
            return [dataclasses.replace(job) for job in self._jobs]

    @property
    def interrupts(self) -> list[Interrupt]:
        with self._lock:
            return list(self._interrupts)

    @property
    def responses(self) -> Counter[tuple[str, int]]:
        """Answers by (path, status), every endpoint."""
        with self._lock:
            return Counter(self._responses)

    @property
    def state(self) -> dict[str, Any]:
        """shared.state as /sdapi/v1/progress reports it."""
        with self._lock:
            return self._state.snapshot()

    @property
    def current_task(self) -> str | None:
        with self._lock:
            return self._current_task

    @property
    def queued(self) -> list[str]:
        """Task ids waiting for the queue lock, first in line first."""
        with self._lock:
            return list(self._pending)

    @property
    def completed(self) -> list[str]:
        """The last 16 task ids that finished without failing."""
        with self._lock:
            return list(self._finished)

    def describe(self) -> str:
        with self._lock:
            statuses = Counter(job.status for job in self._jobs)
            return (
                f"jobs={len(self._jobs)} statuses={dict(statuses)} current={self._current_task}"
                f" queued={list(self._pending)} state={self._state.snapshot()}"
                f" script_left={len(self._script)}"
            )

    # -- serving -------------------------------------------------------------------------
    def build_app(self) -> web.Application:
        self._queue_lock = asyncio.Lock()  # FIFO, like call_queue.queue_lock (a FIFOLock)
        # init_images arrive base64-encoded in the JSON; uvicorn sets no body limit.
        app = web.Application(client_max_size=256 << 20, middlewares=[self._count])
        app.router.add_post("/sdapi/v1/txt2img", self._generate)
        app.router.add_post("/sdapi/v1/img2img", self._generate)
        app.router.add_get("/sdapi/v1/progress", self._sdapi_progress)
        app.router.add_post("/sdapi/v1/interrupt", self._interrupt)
        # Registered on the app itself, not through Api.add_api_route: --api-auth spares it.
        app.router.add_post("/internal/progress", self._internal_progress)
        app.on_shutdown.append(self._drain)
        return app

    @web.middleware
    async def _count(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        response = await handler(request)
        with self._lock:
            self._responses[(request.path, response.status)] += 1
            self._changed()
        return response

    async def _drain(self, app: web.Application) -> None:
        """On stop, let every job see the shutdown and end, so none outlives the loop."""
        if self._tasks:
            _, late = await asyncio.wait(set(self._tasks), timeout=5)
            for task in late:
                task.cancel()

    def _refusal(self, request: web.Request) -> web.Response | None:
        """FastAPI's HTTPBasic, then api.py's auth(); both end in handle_exception."""
        if self.auth is None:
            return None
        header = request.headers.get(hdrs.AUTHORIZATION, "")
        scheme, _, param = header.partition(" ")
        if not header or scheme.lower() != "basic":
            return _handled(401, "Not authenticated")
        try:
            user, colon, password = base64.b64decode(param).decode("ascii").partition(":")
        except (ValueError, UnicodeDecodeError, binascii.Error):
            return _handled(401, "Invalid authentication credentials")
        if not colon:
            return _handled(401, "Invalid authentication credentials")
        expected_user, expected_password = self.auth
        if user == expected_user and hmac.compare_digest(
            password.encode(), expected_password.encode()
        ):
            return None
        return _handled(401, "Incorrect username or password")

    def _task_id(self, endpoint: Endpoint) -> str:
        """progress.create_task_id; clients pass force_task_id to poll before the answer."""
        letters = string.ascii_uppercase + string.digits
        with self._lock:
            return f"task({endpoint}-{''.join(self._rng.choices(letters, k=7))})"

    async def _generate(self, request: web.Request) -> web.StreamResponse:
        endpoint: Endpoint = "img2img" if request.path.endswith("img2img") else "txt2img"
        # FastAPI reads the body before solving dependencies: bad JSON is 422 even unauthed.
        body = await _read_json(request)
        if isinstance(body, web.Response):
            return body
        if refusal := self._refusal(request):
            return refusal
        values, errors = _validate(_TXT2IMG if endpoint == "txt2img" else _IMG2IMG, body[0])
        if errors:
            return _unprocessable(errors)
        task_id = values["force_task_id"] or self._task_id(endpoint)
        init_images = values.get("init_images")
        if endpoint == "img2img" and init_images is None:
            return _handled(404, "Init image not found")
        sampler, scheduler = _sampler(values["sampler_name"] or values["sampler_index"])
        job = A1111Job(
            task_id=task_id,
            endpoint=endpoint,
            prompt=values["prompt"],
            negative_prompt=values["negative_prompt"],
            requested_seed=values["seed"],
            width=values["width"],
            height=values["height"],
            steps=values["steps"],
            sampler_name=sampler,
            batch_size=values["batch_size"],
            n_iter=values["n_iter"],
            init_image=bool(init_images),
            denoising_strength=values["denoising_strength"] if endpoint == "img2img" else None,
            override_settings=values["override_settings"] or {},
            received_at=time.monotonic(),
        )
        with self._lock:
            behaviour = Behaviour()
            if self._script:
                behaviour, job.source = self._script.popleft(), "script"
            self._jobs.append(job)
            if not behaviour.html:
                self._pending[task_id] = time.time()  # add_task_to_queue
            self._changed()
        if behaviour.html:
            return await self._proxy_page(request, job, behaviour)
        # Every init image is decoded before processing starts; [] does not get that far.
        sent: list[Any] = init_images or []
        init_ok = endpoint == "txt2img" or (bool(sent) and all(map(_image_ok, sent)))
        run = _Run(job, values, behaviour, scheduler or values["scheduler"], init_ok)
        task = asyncio.get_running_loop().create_task(self._work(run))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        try:
            response = await asyncio.shield(task)
        except asyncio.CancelledError:
            with self._lock:
                job.client_gone = job.client_gone or not self._stopping
                self._changed()
            raise
        return response if response is not None else await self._hold_until_stopped(request)

    async def _proxy_page(
        self, request: web.Request, job: A1111Job, behaviour: Behaviour
    ) -> web.StreamResponse:
        if not await self._pause(behaviour.delay):
            return await self._hold_until_stopped(request)
        with self._lock:
            job.status, job.finished_at = 200, time.monotonic()
            self._changed()
        return web.Response(text=HTML_PAGE, content_type="text/html")

    async def _work(self, run: _Run) -> web.Response | None:
        """One job, from the queue to its answer; None if the server stopped first."""
        assert self._queue_lock is not None
        async with self._queue_lock:
            if not await self._pause(0):
                return None
            with self._lock:
                run.job.started_at = time.monotonic()
                self._changed()
            response = None
            try:
                response = await self._process(run)
                return response
            finally:
                with self._lock:
                    run.job.finished_at = time.monotonic()
                    run.job.status = None if response is None else response.status
                    self._changed()

    async def _process(self, run: _Run) -> web.Response | None:
        job, behaviour = run.job, run.behaviour
        if not run.init_ok:
            # Decoding fails before state.begin() and start_task(): the task stays queued.
            return _handled(500, "Invalid encoded image")
        with self._lock:
            self._state.begin(f"scripts_{job.endpoint}")
            self._current_task = job.task_id  # start_task
            self._pending.pop(job.task_id, None)
            self._running = job
            run.seed, run.subseed = (
                value if value != -1 else self._rng.randrange(4294967294)
                for value in (job.requested_seed, run.values["subseed"])
            )
            job.seed = run.seed
            self._changed()
        try:
            if behaviour.hang:  # a wedged GPU: the lock is held until the server stops
                assert self._shutdown is not None
                await self._shutdown.wait()
                return None
            if not await self._pause(behaviour.delay):
                return None
            if behaviour.status != 200:
                # An exception inside processing: finish_task() is skipped, so the task
                # stays current_task (active, never completed) until the next one starts.
                body = behaviour.body or _crash_body(behaviour.status)
                return json_error(behaviour.status, body, retry_after=behaviour.retry_after)
            images = await self._sample(run)
            if images is None:
                return None
            with self._lock:
                job.images = len(images)
                if self._current_task == job.task_id:  # finish_task
                    self._current_task = None
                self._finished.append(job.task_id)
                self._changed()
            answer = {
                "images": images if run.values["send_images"] else [],
                "parameters": self._echo(run),
                "info": self._info(run, images),
            }
            return web.json_response(answer)
        finally:
            with self._lock:
                self._state.end()
                self._running = None
                self._changed()

    def _sampling_steps(self, run: _Run) -> int:
        steps: int = run.values["steps"]
        if run.job.endpoint == "txt2img":
            return steps
        # img2img samples only the denoised part: t_enc + 1 steps (setup_img2img_steps).
        return int(min(run.values["denoising_strength"], 0.999) * steps) + 1

    async def _sample(self, run: _Run) -> list[str] | None:
        """process_images_inner's loop: n_iter batches, each a step at a time; an interrupt
        ends the batch after its current step and skips the batches after it."""
        batch, n_iter = run.job.batch_size, run.job.n_iter
        steps = max(self._sampling_steps(run), 1)
        tick = self.service_time / (max(n_iter, 1) * steps)
        images: list[str] = []
        with self._lock:
            self._state.job_count = n_iter
            self._changed()
        for n in range(n_iter):
            with self._lock:
                if self._interrupted():
                    break
                self._state.sampling_steps, self._state.sampling_step = steps, 0
                self._changed()
            for _ in range(steps):
                if not await self._pause(tick):
                    return None
                with self._lock:
                    self._state.sampling_step += 1
                    run.job.steps_at.append(time.monotonic())
                    self._changed()
                    if self._interrupted():
                        break
            for i in range(n * batch, (n + 1) * batch):
                image = png(f"{run.job.prompt}|{run.seed + i}", size=self.image_size)
                images.append(base64.b64encode(image).decode("ascii"))
            with self._lock:  # state.nextjob()
                self._state.job_no += 1
                self._state.sampling_step = 0
                self._changed()
        return images

    def _interrupted(self) -> bool:
        """Read afresh at each check: an interrupt lands between the sampler's steps."""
        with self._lock:
            return self._state.interrupted

    def _echo(self, run: _Run) -> dict[str, Any]:
        """`parameters`: the request model as received (seed still -1), defaults filled."""
        echo = dict(run.values)
        if run.job.endpoint == "img2img" and not echo["include_init_images"]:
            echo["init_images"] = echo["mask"] = None
        return echo

    def _info(self, run: _Run, images: list[str]) -> str:
        """Processed.js(): a JSON string, not an object."""
        job, values = run.job, run.values
        count = job.batch_size * job.n_iter
        seeds = [run.seed + i for i in range(count)]

        def infotext(index: int) -> str:
            """create_infotext, the fields this server has, in its order."""
            fields = {
                "Steps": job.steps,
                "Sampler": job.sampler_name,
                "Schedule type": run.scheduler,
                "CFG scale": values["cfg_scale"],
                "Seed": seeds[index],
                "Size": f"{job.width}x{job.height}",
                "Model hash": self.model_hash,
                "Model": self.model_name,
                "Denoising strength": (
                    values["denoising_strength"] if job.endpoint == "img2img" else None
                ),
                "Version": VERSION,
            }
            text = ", ".join(f"{k}: {_quote(v)}" for k, v in fields.items() if v is not None)
            negative = f"\nNegative prompt: {job.negative_prompt}" if job.negative_prompt else ""
            return f"{job.prompt}{negative}\n{text}".strip()

        with self._lock:
            timestamp = self._state.job_timestamp
        info = {
            "prompt": job.prompt,
            "all_prompts": [job.prompt] * count,
            "negative_prompt": job.negative_prompt,
            "all_negative_prompts": [job.negative_prompt] * count,
            "seed": run.seed,
            "all_seeds": seeds,
            "subseed": run.subseed,
            "all_subseeds": [run.subseed + i for i in range(count)],
            "subseed_strength": values["subseed_strength"],
            "width": job.width,
            "height": job.height,
            "sampler_name": job.sampler_name,
            "cfg_scale": values["cfg_scale"],
            "steps": job.steps,
            "batch_size": job.batch_size,
            "restore_faces": bool(values["restore_faces"]),
            "face_restoration_model": None,
            "sd_model_name": self.model_name,
            "sd_model_hash": self.model_hash,
            "sd_vae_name": None,
            "sd_vae_hash": None,
            "seed_resize_from_w": values["seed_resize_from_w"],
            "seed_resize_from_h": values["seed_resize_from_h"],
            "denoising_strength": values["denoising_strength"],
            "extra_generation_params": {},
            "index_of_first_image": 0,
            "infotexts": [infotext(i) for i in range(max(len(images), 1))],
            "styles": values["styles"] or [],
            "job_timestamp": timestamp,
            "clip_skip": 1,
            "is_using_inpainting_conditioning": False,
            "version": VERSION,
        }
        return json.dumps(info)

    async def _sdapi_progress(self, request: web.Request) -> web.StreamResponse:
        if refusal := self._refusal(request):
            return refusal
        with self._lock:
            state = self._state
            # current_task is always null: api.py imports progress.current_task's value
            # once, at import time, so it never sees the running task.
            answer: dict[str, Any] = {"state": state.snapshot(), "current_image": None}
            answer |= {"textinfo": None, "current_task": None}
            if state.job_count == 0:
                return web.json_response({"progress": 0.0, "eta_relative": 0.0, **answer})
            progress = 0.01  # "avoid dividing zero"
            if state.job_count > 0:
                progress += state.job_no / state.job_count
            if state.sampling_steps > 0:
                progress += state.sampling_step / state.sampling_steps / state.job_count
            elapsed = time.time() - state.time_start
            eta_relative = elapsed / progress - elapsed
        return web.json_response(
            {"progress": min(progress, 1.0), "eta_relative": eta_relative, **answer}
        )

    async def _internal_progress(self, request: web.Request) -> web.StreamResponse:
        body = await _read_json(request)
        if isinstance(body, web.Response):
            return body
        values, errors = _validate(_PROGRESS, body[0])
        if errors:
            return _unprocessable(errors)
        task_id = values["id_task"]
        with self._lock:
            active = task_id == self._current_task  # a missing id_task is None: active if idle
            queued = task_id in self._pending
            answer: dict[str, Any] = {
                "active": active,
                "queued": queued,
                "completed": task_id in self._finished,
                "progress": None,
                "eta": None,
                "live_preview": None,
                "id_live_preview": -1,
                "textinfo": "Waiting...",
            }
            if not active:
                if queued:
                    place = list(self._pending).index(task_id) + 1
                    answer["textinfo"] = f"In queue: {place}/{len(self._pending)}"
                return web.json_response(answer)
            state = self._state
            progress = 0.0
            if state.job_count > 0:
                progress += state.job_no / state.job_count
                if state.sampling_steps > 0:
                    progress += state.sampling_step / state.sampling_steps / state.job_count
            progress = min(progress, 1.0)
            elapsed = time.time() - state.time_start
            eta = elapsed / progress - elapsed if progress > 0 else None
        # No live previews are rendered, so the client's preview id comes back unchanged.
        answer |= {"progress": progress, "eta": eta, "textinfo": None}
        answer["id_live_preview"] = values["id_live_preview"]
        return web.json_response(answer)

    async def _interrupt(self, request: web.Request) -> web.StreamResponse:
        if refusal := self._refusal(request):
            return refusal
        with self._lock:
            self._state.interrupted = True  # even when idle; the next begin() clears it
            running = self._running
            if running is not None:
                running.interrupted = True
            self._interrupts.append(
                Interrupt(time.monotonic(), running.task_id if running else None)
            )
            self._changed()
        return web.json_response({})
