"""`ComfyUIStandin`: ComfyUI's HTTP and WebSocket API on loopback, "rendering" stand-in PNGs.

What a client of a real ComfyUI meets (server.py, execution.py, main.py's prompt_worker):
`POST /prompt` validates the API-format graph against a small node catalogue (the nodes of
`comfyui_workflow.json`, plus `LoadImage`/`VAEEncode` for img2img) and refuses with ComfyUI's
`error`/`node_errors` shapes; a priority queue runs one prompt at a time; `/ws?clientId=`
carries status, execution_*, executing, progress, executed and progress_state messages in
ComfyUI's order; finished prompts land in `/history`, `/view` serves saved images and
`/upload/image` feeds `LoadImage`. Every route also answers under `/api`, as ComfyUI's do.

Rendering waits `service_time` split over the KSampler's steps (a `progress` per step) and
saves `png(<positive text>)` at the latent's size, so a test can tell which prompt made which
image. Node outputs are cached by input signature like ComfyUI's classic cache: resubmitting
an identical graph executes nothing and answers with the same files. History, queue and cache
are lost on a restart, as ComfyUI's are; files (input, output) survive it like files on disk.
Faults come from a script (`script([...])`, one `Outcome` per POST /prompt) and every
POST /prompt is recorded as a `PromptRecord`.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import hashlib
import heapq
import itertools
import json
import mimetypes
import posixpath
import re
import struct
import time
import traceback
import uuid
from collections import Counter, deque
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import aiohttp
from aiohttp import web

from easel_devtools.standins._server import StandinServer
from easel_devtools.standins.images import png, sniff
from easel_devtools.standins.workers import HTML_PAGE, Behaviour, json_error

DEFAULT_CHECKPOINT = "v1-5-pruned-emaonly.safetensors"
WORKFLOW_PATH = Path(__file__).with_name("comfyui_workflow.json")
IMG2IMG_WORKFLOW_PATH = Path(__file__).with_name("comfyui_img2img.json")  # from a photo
OOM_ERROR = (
    "torch.OutOfMemoryError",
    "CUDA out of memory. Tried to allocate 2.00 GiB. GPU 0 has a total capacity of 7.78 GiB "
    "of which 1.19 GiB is free.",
)
MAX_RESOLUTION = 16384  # nodes.MAX_RESOLUTION
UPLOAD_LIMIT = 100 * 1024 * 1024  # --max-upload-size's default (100 MB)
SAMPLERS = (
    *("euler", "euler_cfg_pp", "euler_ancestral", "euler_ancestral_cfg_pp", "heun", "heunpp2"),
    *("exp_heun_2_x0", "exp_heun_2_x0_sde", "dpm_2", "dpm_2_ancestral", "lms", "dpm_fast"),
    *("dpm_adaptive", "dpmpp_2s_ancestral", "dpmpp_2s_ancestral_cfg_pp", "dpmpp_sde"),
    *("dpmpp_sde_gpu", "dpmpp_2m", "dpmpp_2m_cfg_pp", "dpmpp_2m_sde", "dpmpp_2m_sde_gpu"),
    *("dpmpp_2m_sde_heun", "dpmpp_2m_sde_heun_gpu", "dpmpp_3m_sde", "dpmpp_3m_sde_gpu", "ddpm"),
    *("lcm", "ipndm", "ipndm_v", "deis", "res_multistep", "res_multistep_cfg_pp"),
    *("res_multistep_ancestral", "res_multistep_ancestral_cfg_pp", "gradient_estimation"),
    *("gradient_estimation_cfg_pp", "er_sde", "seeds_2", "seeds_3", "sa_solver"),
    *("sa_solver_pece", "ddim", "uni_pc", "uni_pc_bh2"),
)
SCHEDULERS = (
    *("simple", "sgm_uniform", "karras", "exponential", "ddim_uniform", "beta", "normal"),
    *("linear_quadratic", "kl_optimal"),
)

Status = Literal[
    "pending", "running", "success", "error", "interrupted", "deleted", "rejected", "lost"
]

_OOM_TIPS = (
    "This error means you ran out of memory on your GPU.\n\nTIPS: If the workflow worked before "
    "you might have accidentally set the batch_size to a large number."
)
_DIRECTORIES = ("input", "temp", "output")
_ANNOTATION = re.compile(r"^(.*) \[(input|temp|output)\]$")  # folder_paths.annotated_filepath
_PREVIEW_IMAGE, _PNG_PREVIEW = 1, 2  # BinaryEventTypes.PREVIEW_IMAGE; send_image's PNG type_num
# What a malformed link raises while ComfyUI validates (a missing node, a bad slot).
_GRAPH_ERRORS = (KeyError, IndexError, TypeError)
_CRASH = "500 Internal Server Error\n\nServer got itself in trouble"


def default_workflow() -> dict[str, Any]:
    """A fresh copy of ComfyUI's default txt2img workflow, as "Save (API)" exports it."""
    workflow: dict[str, Any] = json.loads(WORKFLOW_PATH.read_text())
    return workflow


@dataclass(frozen=True)
class Outcome:
    """How one POST /prompt goes; the default is what ComfyUI itself would do."""

    answer: Behaviour | None = None  # answer the POST so; a non-200 queues nothing
    fail_at: str | None = None  # node id or class_type whose execution raises `exception`
    exception: tuple[str, str] = OOM_ERROR  # (exception_type, message) of that execution_error
    stall_at: str | None = None  # node id or class_type where the run hangs until interrupted
    extra_time: float = 0.0  # seconds added to sampling: a slower GPU


@dataclass
class PromptRecord:
    """One POST /prompt. Times are time.monotonic(); fields the graph lacks stay None."""

    prompt_id: str
    client_id: str | None
    graph: dict[str, Any]  # as queued: validation converts values in place, as ComfyUI's does
    received_at: float
    source: str = "normal"  # "normal" | "script"
    number: float | None = None  # None: answered by the script before ComfyUI numbered it
    status: Status = "pending"
    error: str | None = None  # the refusal's error type, or the execution's exception type
    positive: str | None = None
    negative: str | None = None
    seed: int | None = None
    steps: int | None = None
    width: int | None = None
    height: int | None = None
    batch_size: int | None = None
    source_image: str | None = None  # the LoadImage file an img2img prompt read
    images: list[dict[str, str]] = field(default_factory=list)  # as /history lists them
    started_at: float | None = None
    finished_at: float | None = None
    # time.monotonic() of each sampling step, as its `progress` message was sent
    steps_at: list[float] = field(default_factory=list)

    @property
    def interrupted(self) -> bool:
        return self.status == "interrupted"

    @property
    def deleted(self) -> bool:
        return self.status == "deleted"


# -- the node catalogue and ComfyUI's validation -------------------------------------------


@dataclass(frozen=True)
class _Input:
    kind: str | tuple[str, ...]  # a type name, or a combo's options
    low: float | None = None
    high: float | None = None

    def config(self) -> list[Any]:
        """ComfyUI's `input_config` in errors: [type or options, bounds]."""
        bounds = {"min": self.low, "max": self.high} if self.low is not None else {}
        return [list(self.kind) if isinstance(self.kind, tuple) else self.kind, bounds]


@dataclass(frozen=True)
class _NodeClass:
    inputs: dict[str, _Input]  # required inputs, in the order ComfyUI declares them
    returns: tuple[str, ...] = ()
    output: bool = False
    file_input: str | None = None  # checked by VALIDATE_INPUTS as an existing input file


def _catalogue(checkpoints: tuple[str, ...]) -> dict[str, _NodeClass]:
    """The nodes a txt2img or img2img workflow needs, with nodes.py's types and bounds."""
    side = _Input("INT", 16, MAX_RESOLUTION)
    sampler = {
        "model": _Input("MODEL"),
        "seed": _Input("INT", 0, 0xFFFFFFFFFFFFFFFF),
        "steps": _Input("INT", 1, 10000),
        "cfg": _Input("FLOAT", 0.0, 100.0),
        "sampler_name": _Input(SAMPLERS),
        "scheduler": _Input(SCHEDULERS),
        "positive": _Input("CONDITIONING"),
        "negative": _Input("CONDITIONING"),
        "latent_image": _Input("LATENT"),
        "denoise": _Input("FLOAT", 0.0, 1.0),
    }
    return {
        "CheckpointLoaderSimple": _NodeClass(
            {"ckpt_name": _Input(checkpoints)}, ("MODEL", "CLIP", "VAE")
        ),
        "CLIPTextEncode": _NodeClass(
            {"text": _Input("STRING"), "clip": _Input("CLIP")}, ("CONDITIONING",)
        ),
        "EmptyLatentImage": _NodeClass(
            {"width": side, "height": side, "batch_size": _Input("INT", 1, 4096)}, ("LATENT",)
        ),
        "KSampler": _NodeClass(sampler, ("LATENT",)),
        "VAEDecode": _NodeClass({"samples": _Input("LATENT"), "vae": _Input("VAE")}, ("IMAGE",)),
        "VAEEncode": _NodeClass({"pixels": _Input("IMAGE"), "vae": _Input("VAE")}, ("LATENT",)),
        "LoadImage": _NodeClass({"image": _Input(())}, ("IMAGE", "MASK"), file_input="image"),
        "SaveImage": _NodeClass(
            {"images": _Input("IMAGE"), "filename_prefix": _Input("STRING")}, output=True
        ),
    }


def _reason(kind: str, message: str, details: str, extra: dict[str, Any]) -> dict[str, Any]:
    return {"type": kind, "message": message, "details": details, "extra_info": extra}


def _type_name(error: BaseException) -> str:
    """execution.full_type_name: builtins bare, others with their module."""
    kind = type(error)
    return (
        kind.__qualname__
        if kind.__module__ == "builtins"
        else f"{kind.__module__}.{kind.__qualname__}"
    )


def _convert(kind: str | tuple[str, ...], value: Any) -> Any:
    if kind == "INT":
        return int(value)
    if kind == "FLOAT":
        return float(value)
    if kind == "STRING":
        return str(value)
    return value


@dataclass
class _Verdict:
    error: dict[str, Any] | None = None
    outputs: list[str] = field(default_factory=list)
    node_errors: dict[str, Any] = field(default_factory=dict)
    valid: set[str] = field(default_factory=set)  # nodes whose inputs and links all checked out


class _Validation:
    """execution.validate_prompt and validate_inputs, over the catalogue.

    Like ComfyUI it converts values in the graph in place, reports a node's errors once
    with every output that depends on it, and lets a broken link raise (a missing node is a
    KeyError) to be reported by whoever validated the node linking to it.
    """

    def __init__(
        self, graph: dict[str, Any], classes: dict[str, _NodeClass], has_file: Callable[[Any], bool]
    ) -> None:
        self.graph = graph
        self.classes = classes
        self.has_file = has_file
        self.validated: dict[str, tuple[bool, list[dict[str, Any]]]] = {}

    def prompt(self, targets: list[str] | None) -> _Verdict:
        outputs = []
        for node_id, node in self.graph.items():
            if not isinstance(node, dict) or "class_type" not in node:
                message = "Cannot execute because a node is missing the class_type property."
                return _Verdict(_reason("invalid_prompt", message, f"Node ID '#{node_id}'", {}))
            kind = node["class_type"]
            node_class = self.classes.get(kind) if isinstance(kind, str) else None
            if node_class is None:
                message = f"Cannot execute because node {kind} does not exist."
                return _Verdict(_reason("invalid_prompt", message, f"Node ID '#{node_id}'", {}))
            if node_class.output and (targets is None or node_id in targets):
                outputs.append(node_id)
        if not outputs:
            return _Verdict(_reason("prompt_no_outputs", "Prompt has no outputs", "", {}))
        verdict = _Verdict()
        failures = []
        for output in outputs:
            try:
                valid, reasons = self.inputs(output)
            except _GRAPH_ERRORS as error:
                valid = False
                reasons = [
                    _reason(
                        "exception_during_validation",
                        "Exception when validating node",
                        str(error),
                        {
                            "exception_type": _type_name(error),
                            "traceback": traceback.format_tb(error.__traceback__),
                        },
                    )
                ]
                self.validated[output] = (False, reasons)
            if valid:
                verdict.outputs.append(output)
                continue
            failures.append(reasons)  # only the output's own reasons reach the details
            for node_id, (ok, why) in self.validated.items():
                if not ok and why:  # downstream nodes of a broken one carry no reasons
                    entry = verdict.node_errors.setdefault(
                        node_id,
                        {
                            "errors": why,
                            "dependent_outputs": [],
                            "class_type": self.graph[node_id]["class_type"],
                        },
                    )
                    entry["dependent_outputs"].append(output)
        verdict.valid = {node_id for node_id, (ok, _) in self.validated.items() if ok}
        if not verdict.outputs:
            details = "\n".join(f"{r['message']}: {r['details']}" for rs in failures for r in rs)
            message = "Prompt outputs failed validation"
            verdict.error = _reason("prompt_outputs_failed_validation", message, details, {})
        return verdict

    def inputs(self, node_id: str) -> tuple[bool, list[dict[str, Any]]]:
        if node_id in self.validated:
            return self.validated[node_id]
        node = self.graph[node_id]
        inputs = node["inputs"]
        node_class = self.classes[node["class_type"]]
        errors: list[dict[str, Any]] = []
        valid = True
        for name, spec in node_class.inputs.items():
            if name not in inputs:
                message = "Required input is missing"
                errors.append(
                    _reason("required_input_missing", message, name, {"input_name": name})
                )
                continue
            value = inputs[name]
            if isinstance(value, list):
                valid = self._link(name, spec, value, errors) and valid
                continue
            if isinstance(value, dict) and "__value__" in value:
                value = inputs[name] = value["__value__"]
            try:
                value = inputs[name] = _convert(spec.kind, value)
            except (TypeError, ValueError, OverflowError) as error:
                errors.append(
                    _reason(
                        "invalid_input_type",
                        f"Failed to convert an input value to a {spec.kind} value",
                        f"{name}, {value}, {error}",
                        {
                            "input_name": name,
                            "input_config": spec.config(),
                            "received_value": value,
                            "exception_message": str(error),
                        },
                    )
                )
                continue
            if name == node_class.file_input:
                if not self.has_file(value):  # VALIDATE_INPUTS replaces the combo check
                    details = f"{name} - Invalid image file: {value}"
                    message = "Custom validation failed for node"
                    extra = {"input_name": name}
                    errors.append(_reason("custom_validation_failed", message, details, extra))
                continue
            errors.extend(self._value(name, spec, value))
        verdict = (not errors and valid, errors)
        self.validated[node_id] = verdict
        return verdict

    def _link(self, name: str, spec: _Input, link: list[Any], errors: list[dict[str, Any]]) -> bool:
        """Check a [node_id, slot] input; False if the linked node is invalid."""
        extra: dict[str, Any] = {"input_name": name, "input_config": spec.config()}
        if len(link) != 2:
            message = "Bad linked input, must be a length-2 list of [node_id, slot_index]"
            errors.append(
                _reason("bad_linked_input", message, name, {**extra, "received_value": link})
            )
            return True
        source_id, slot = link
        received = self.classes[self.graph[source_id]["class_type"]].returns[slot]
        if received != spec.kind:
            kind = list(spec.kind) if isinstance(spec.kind, tuple) else spec.kind
            details = f"{name}, received_type({received}) mismatch input_type({kind})"
            extra |= {"received_type": received, "linked_node": link}
            message = "Return type mismatch between linked nodes"
            errors.append(_reason("return_type_mismatch", message, details, extra))
            return True
        try:
            return self.inputs(source_id)[0]
        except _GRAPH_ERRORS as error:
            reason = _reason(
                "exception_during_inner_validation",
                "Exception when validating inner node",
                str(error),
                extra
                | {
                    "exception_message": str(error),
                    "exception_type": _type_name(error),
                    "traceback": traceback.format_tb(error.__traceback__),
                    "linked_node": link,
                },
            )
            self.validated[source_id] = (False, [reason])
            return False

    @staticmethod
    def _value(name: str, spec: _Input, value: Any) -> list[dict[str, Any]]:
        extra = {"input_name": name, "input_config": spec.config(), "received_value": value}
        if spec.low is not None and value < spec.low:
            message = f"Value {value} smaller than min of {spec.low}"
            return [_reason("value_smaller_than_min", message, name, extra)]
        if spec.high is not None and value > spec.high:
            message = f"Value {value} bigger than max of {spec.high}"
            return [_reason("value_bigger_than_max", message, name, extra)]
        if isinstance(spec.kind, tuple) and value not in spec.kind:
            # ComfyUI leaves out long option lists (scanned model files) from the answer.
            listed = str(list(spec.kind)) if len(spec.kind) <= 20 else None
            if listed is None:
                extra["input_config"] = None
            shown = listed or f"(list of length {len(spec.kind)})"
            details = f"{name}: '{value}' not in {shown}"
            return [_reason("value_not_in_list", "Value not in list", details, extra)]
        return []


# -- reading a validated graph -------------------------------------------------------------


def _is_link(value: Any) -> bool:
    return (
        isinstance(value, list)
        and len(value) == 2
        and isinstance(value[0], str)
        and isinstance(value[1], int)
    )


def _linked(graph: dict[str, Any], value: Any) -> dict[str, Any] | None:
    node = graph.get(value[0]) if _is_link(value) else None
    return node if isinstance(node, dict) else None


@dataclass(frozen=True)
class _Picture:
    """What an IMAGE or LATENT output would show: the png() seed text and its size."""

    text: str
    width: int
    height: int
    count: int
    source: str | None = None  # the uploaded file it started from


Sizes = Callable[[str], tuple[int, int] | None]


def _latent(graph: dict[str, Any], node: dict[str, Any] | None, sizes: Sizes) -> _Picture | None:
    if node is None:
        return None
    kind, inputs = node["class_type"], node["inputs"]
    if kind == "EmptyLatentImage":
        return _Picture("", inputs["width"], inputs["height"], inputs["batch_size"])
    if kind == "VAEEncode":
        return _pixels(graph, _linked(graph, inputs["pixels"]), sizes)
    if kind == "KSampler":
        picture = _latent(graph, _linked(graph, inputs["latent_image"]), sizes)
        text = _text(graph, inputs["positive"])
        return replace(picture, text=text or "") if picture else None
    return None


def _pixels(graph: dict[str, Any], node: dict[str, Any] | None, sizes: Sizes) -> _Picture | None:
    if node is None:
        return None
    if node["class_type"] == "LoadImage":
        name = node["inputs"]["image"]
        size = sizes(name)
        return _Picture(name, *size, count=1, source=name) if size else None
    if node["class_type"] == "VAEDecode":
        return _latent(graph, _linked(graph, node["inputs"]["samples"]), sizes)
    return None


def _text(graph: dict[str, Any], value: Any) -> str | None:
    node = _linked(graph, value)
    if node is None or node["class_type"] != "CLIPTextEncode":
        return None
    text = node["inputs"].get("text")
    return text if isinstance(text, str) else None


def _format_value(value: Any) -> Any:
    """execution.format_value: plain values as they are, objects as their str()."""
    return value if value is None or isinstance(value, int | float | bool | str) else str(value)


def _folder(subfolder: str) -> str | None:
    """A normalised subfolder, or None if it would leave its directory."""
    path = posixpath.normpath(subfolder) if subfolder else "."
    if path.startswith(("/", "..")):
        return None
    return "" if path == "." else path


def _annotated(name: str) -> tuple[str, str | None]:
    """folder_paths.annotated_filepath: "x.png [output]" names a file in another folder."""
    match = _ANNOTATION.match(name)
    return (match.group(1), match.group(2)) if match else (name, None)


# -- queue items and runs ------------------------------------------------------------------


@dataclass(order=True)
class _Item:
    number: float
    prompt_id: str
    seq: int  # breaks ties where ComfyUI's heap would go on to compare the graphs
    graph: dict[str, Any] = field(compare=False)
    extra_data: dict[str, Any] = field(compare=False)
    outputs: list[str] = field(compare=False)
    outcome: Outcome = field(compare=False)
    record: PromptRecord = field(compare=False)

    def listed(self) -> list[Any]:
        """The five fields /queue and /history show (ComfyUI strips a sixth, sensitive one)."""
        return [self.number, self.prompt_id, self.graph, self.extra_data, self.outputs]


@dataclass
class _Run:
    item: _Item
    client: str | None
    messages: list[list[Any]] = field(default_factory=list)  # history's status.messages
    executed: list[str] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)  # node id -> its UI output
    progress: dict[str, dict[str, Any]] = field(default_factory=dict)


# The publisher's queue: a JSON message, a binary frame, or a new socket to register and greet.
_Outgoing = str | bytes | web.WebSocketResponse


class _Stop(Exception):
    """A node ended the run: interrupted, or failing with (exception_type, message)."""

    def __init__(self, node_id: str, failure: tuple[str, str] | None = None) -> None:
        super().__init__(node_id)
        self.node_id = node_id
        self.failure = failure


# -- the stand-in --------------------------------------------------------------------------


class ComfyUIStandin(StandinServer):
    """ComfyUI at `base_url`; clients listen on `ws_url(client_id)`."""

    def __init__(
        self,
        *,
        service_time: float = 0.0,
        checkpoints: Sequence[str] = (DEFAULT_CHECKPOINT,),
        previews: bool = False,
        port: int = 0,
    ) -> None:
        super().__init__(port=port)
        self.service_time = service_time  # sampling time of one prompt, whatever its steps
        self.previews = previews  # binary preview frames, as with --preview-method auto
        self._classes = _catalogue(tuple(checkpoints))
        self._script: deque[Outcome] = deque()
        self._records: list[PromptRecord] = []
        self._files: dict[tuple[str, str, str], bytes] = {}  # (type, subfolder, name) -> bytes
        self._interrupts: list[tuple[str | None, bool]] = []
        self._interrupts_at: list[float] = []  # time.monotonic() of each, as it arrived
        self._arrivals = itertools.count()
        self._reset()

    def _reset(self) -> None:
        """What a ComfyUI process keeps in memory only."""
        self._pending: list[_Item] = []  # a heap, listed in heap order as ComfyUI does
        self._running: _Item | None = None
        self._history: dict[str, dict[str, Any]] = {}
        self._cache: dict[str, dict[str, Any] | None] = {}  # input signature -> UI output
        self._sockets: dict[str, web.WebSocketResponse] = {}
        self._number = 0
        self._current_client: str | None = None
        self._last_node: str | None = None

    def ws_url(self, client_id: str) -> str:
        return f"ws://{self.host}:{self.port}/ws?clientId={client_id}"

    # -- configuring behaviour -----------------------------------------------------------
    def script(self, outcomes: Iterable[Outcome | Behaviour]) -> None:
        """Append outcomes, one per POST /prompt; then back to normal. A bare `Behaviour`
        answers the POST (`Outcome(answer=...)`)."""
        with self._lock:
            for item in outcomes:
                self._script.append(item if isinstance(item, Outcome) else Outcome(answer=item))
            self._changed()

    # -- reading what happened -----------------------------------------------------------
    @property
    def prompts(self) -> list[PromptRecord]:
        with self._lock:
            return copy.deepcopy(self._records)

    def prompt(self, prompt_id: str) -> PromptRecord:
        """The last POST /prompt that used `prompt_id`."""
        with self._lock:
            for record in reversed(self._records):
                if record.prompt_id == prompt_id:
                    return copy.deepcopy(record)
        raise KeyError(prompt_id)

    def file(self, filename: str, subfolder: str = "", kind: str = "output") -> bytes | None:
        """A saved or uploaded file, as /view would serve it."""
        with self._lock:
            return self._files.get((kind, subfolder, filename))

    @property
    def clients(self) -> list[str]:
        """Client ids with an open WebSocket."""
        with self._lock:
            return list(self._sockets)

    @property
    def interrupts(self) -> list[tuple[str | None, bool]]:
        """Each POST /interrupt: (its prompt_id, whether it stopped a running prompt)."""
        with self._lock:
            return list(self._interrupts)

    @property
    def interrupts_at(self) -> list[float]:
        """When each POST /interrupt arrived (time.monotonic()), in the order of `interrupts`."""
        with self._lock:
            return list(self._interrupts_at)

    def describe(self) -> str:
        with self._lock:
            statuses = Counter(record.status for record in self._records)
            running = self._running.prompt_id if self._running else None
            return (
                f"prompts={dict(statuses)} running={running} pending={len(self._pending)} "
                f"history={len(self._history)} sockets={sorted(self._sockets)} "
                f"script_left={len(self._script)}"
            )

    # -- serving -------------------------------------------------------------------------
    def build_app(self) -> web.Application:
        with self._lock:  # a (re)start is a new ComfyUI process
            for record in self._records:
                if record.status in ("pending", "running"):
                    record.status = "lost"
            self._reset()
            self._changed()
        self._outbox: asyncio.Queue[tuple[_Outgoing, str | None]] = asyncio.Queue()
        self._queued = asyncio.Event()
        self._interrupt = asyncio.Event()
        app = web.Application(client_max_size=UPLOAD_LIMIT)
        routes = [
            web.get("/ws", self._websocket),
            web.post("/prompt", self._post_prompt),
            web.get("/prompt", self._get_prompt),
            web.get("/queue", self._get_queue),
            web.post("/queue", self._post_queue),
            web.post("/interrupt", self._post_interrupt),
            web.get("/history", self._get_history),
            web.get("/history/{prompt_id}", self._get_history),
            web.post("/history", self._post_history),
            web.get("/view", self._view),
            web.post("/upload/image", self._upload),
        ]
        app.add_routes([web.route(r.method, "/api" + r.path, r.handler) for r in routes])
        app.add_routes(routes)
        app.cleanup_ctx.append(self._background)
        app.on_shutdown.append(self._close_sockets)
        return app

    async def _background(self, app: web.Application) -> AsyncIterator[None]:
        tasks = [asyncio.create_task(self._work()), asyncio.create_task(self._publish())]
        yield
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _close_sockets(self, app: web.Application) -> None:
        with self._lock:
            sockets = list(self._sockets.values())
        for ws in sockets:
            await ws.close(code=aiohttp.WSCloseCode.GOING_AWAY, message=b"Server shutdown")

    # -- WebSocket -----------------------------------------------------------------------
    async def _websocket(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        sid = request.query.get("clientId", "") or uuid.uuid4().hex
        # The publisher registers and greets it, so no broadcast can arrive before the greeting.
        self._outbox.put_nowait((ws, sid))
        try:
            async for _ in ws:  # ComfyUI ignores what clients send here (bar feature flags)
                pass
        finally:
            with self._lock:
                if self._sockets.get(sid) is ws:
                    del self._sockets[sid]
                self._changed()
        return ws

    def _emit(self, event: str, data: dict[str, Any], sid: str | None) -> None:
        """PromptServer.send_sync: to `sid` only, or to every socket when sid is None."""
        self._outbox.put_nowait((_message(event, data), sid))

    async def _publish(self) -> None:
        """PromptServer.publish_loop: one sender, so messages keep the order they were sent."""
        while True:
            payload, sid = await self._outbox.get()
            if isinstance(payload, web.WebSocketResponse):
                await self._greet(payload, sid or "")
                continue
            with self._lock:
                if sid is None:
                    targets = list(self._sockets.values())
                else:
                    targets = [self._sockets[sid]] if sid in self._sockets else []
            for ws in targets:
                await _deliver(ws, payload)

    async def _greet(self, ws: web.WebSocketResponse, sid: str) -> None:
        if ws.closed:  # gone before it was registered
            return
        with self._lock:
            self._sockets[sid] = ws  # a reconnect with the same id replaces the old socket
            self._changed()
            hello = [_message("status", {"status": self._queue_info(), "sid": sid})]
            # A client reconnecting mid-run learns which node is executing (no prompt_id).
            if self._current_client == sid and self._last_node is not None:
                hello.append(_message("executing", {"node": self._last_node}))
        for text in hello:
            await _deliver(ws, text)

    def _queue_info(self) -> dict[str, Any]:
        remaining = len(self._pending) + (self._running is not None)
        return {"exec_info": {"queue_remaining": remaining}}

    def _queue_updated(self) -> None:
        self._emit("status", {"status": self._queue_info()}, None)

    # -- prompts and the queue -----------------------------------------------------------
    async def _post_prompt(self, request: web.Request) -> web.StreamResponse:
        received_at = time.monotonic()
        body = await _json(request)
        if body is None:
            return _crash()
        with self._lock:
            outcome, source = (
                (self._script.popleft(), "script") if self._script else (Outcome(), "normal")
            )
            self._changed()
        body = body if isinstance(body, dict) else {}
        graph = copy.deepcopy(body.get("prompt"))
        prompt_id = str(body.get("prompt_id", uuid.uuid4()))
        extra_data = body.get("extra_data", {})
        extra_data = dict(extra_data) if isinstance(extra_data, dict) else {}
        if "client_id" in body:
            extra_data["client_id"] = body["client_id"]
        record = PromptRecord(
            prompt_id,
            extra_data.get("client_id"),
            graph if isinstance(graph, dict) else {},
            received_at,
            source,
        )
        with self._lock:
            self._records.append(record)
            self._changed()
        if outcome.answer is not None:
            answered = await self._answer(request, outcome.answer, record)
            if answered is not None:
                return answered
        with self._lock:
            if "number" in body:
                number: float = float(body["number"])
            else:
                number = -self._number if body.get("front") else self._number
                self._number += 1
            record.number = number  # taken even by a prompt that is then refused
            if "prompt" not in body:
                error = _reason("no_prompt", "No prompt provided", "No prompt provided", {})
                return self._refuse(record, _Verdict(error))
            verdict = _Validation(record.graph, self._classes, self._has_file).prompt(
                body.get("partial_execution_targets")
            )
            if verdict.error is not None:
                return self._refuse(record, verdict)
            extra_data["create_time"] = int(time.time() * 1000)
            self._note_scene(record, verdict.valid)
            item = _Item(
                number,
                prompt_id,
                next(self._arrivals),
                record.graph,
                extra_data,
                verdict.outputs,
                outcome,
                record,
            )
            heapq.heappush(self._pending, item)
            self._queue_updated()
            self._queued.set()
            self._changed()
        answer = {"prompt_id": prompt_id, "number": number, "node_errors": verdict.node_errors}
        return web.json_response(answer)

    def _rejected(self, record: PromptRecord, error: str, *, finished: bool = True) -> None:
        with self._lock:
            record.status, record.error = "rejected", error
            record.finished_at = time.monotonic() if finished else None
            self._changed()

    def _refuse(self, record: PromptRecord, verdict: _Verdict) -> web.Response:
        assert verdict.error is not None
        self._rejected(record, verdict.error["type"])
        body = {"error": verdict.error, "node_errors": verdict.node_errors}
        return web.json_response(body, status=400)

    async def _answer(
        self, request: web.Request, behaviour: Behaviour, record: PromptRecord
    ) -> web.StreamResponse | None:
        """A scripted answer to POST /prompt; None to go on as ComfyUI would."""
        if behaviour.hang:
            self._rejected(record, "scripted hang", finished=False)
            return await self._hold_until_stopped(request)
        if not await self._pause(behaviour.delay):  # stopping: drop the connection
            return await self._hold_until_stopped(request)
        if behaviour.status == 200 and not behaviour.html:
            return None
        self._rejected(
            record, "scripted html" if behaviour.html else f"scripted {behaviour.status}"
        )
        if behaviour.html:
            return web.Response(text=HTML_PAGE, content_type="text/html")
        if behaviour.body is not None or behaviour.status != 400:
            body = behaviour.body or {"error": "scripted failure"}
            return json_error(behaviour.status, body, retry_after=behaviour.retry_after)
        message = "Prompt outputs failed validation"
        error = _reason("prompt_outputs_failed_validation", message, "", {})
        return web.json_response({"error": error, "node_errors": {}}, status=400)

    def _note_scene(self, record: PromptRecord, valid: set[str]) -> None:
        """Record what the first valid KSampler was asked for, following its links."""
        graph = record.graph
        samplers = [n for n in graph if n in valid and graph[n]["class_type"] == "KSampler"]
        if not samplers:
            return
        inputs = graph[samplers[0]]["inputs"]
        record.positive = _text(graph, inputs["positive"])
        record.negative = _text(graph, inputs["negative"])
        record.seed, record.steps = inputs["seed"], inputs["steps"]
        picture = _latent(graph, _linked(graph, inputs["latent_image"]), self._image_size)
        if picture is not None:
            record.width, record.height = picture.width, picture.height
            record.batch_size, record.source_image = picture.count, picture.source

    async def _get_prompt(self, request: web.Request) -> web.StreamResponse:
        with self._lock:
            return web.json_response(self._queue_info())

    async def _get_queue(self, request: web.Request) -> web.StreamResponse:
        with self._lock:
            running = [self._running.listed()] if self._running else []
            pending = [item.listed() for item in self._pending]
            return web.json_response({"queue_running": running, "queue_pending": pending})

    async def _post_queue(self, request: web.Request) -> web.StreamResponse:
        body = await _json(request)
        if not isinstance(body, dict):
            return _crash()
        with self._lock:
            if body.get("clear"):
                for item in self._pending:
                    item.record.status = "deleted"
                self._pending = []
                self._queue_updated()
            for prompt_id in body.get("delete", []):
                self._delete(prompt_id)
            self._changed()
        return web.Response(status=200)

    def _delete(self, prompt_id: str) -> None:
        """PromptQueue.delete_queue_item: the first pending match; never the running one."""
        for index, item in enumerate(self._pending):
            if item.prompt_id == prompt_id:
                item.record.status = "deleted"
                if len(self._pending) == 1:
                    self._queue_updated()  # ComfyUI wipes the queue here, telling clients twice
                self._pending.pop(index)
                heapq.heapify(self._pending)
                self._queue_updated()
                return

    async def _post_interrupt(self, request: web.Request) -> web.StreamResponse:
        arrived = time.monotonic()
        body = await _json(request)  # None for an empty body: a global interrupt
        prompt_id = body.get("prompt_id") if isinstance(body, dict) else None
        with self._lock:
            running = self._running
            # Newer builds take a prompt_id and stop only that prompt, if it is the one running.
            stops = running is not None and (not prompt_id or running.prompt_id == prompt_id)
            if stops:
                self._interrupt.set()
            self._interrupts.append((prompt_id or None, stops))
            self._interrupts_at.append(arrived)
            self._changed()
        return web.Response(status=200)

    async def _get_history(self, request: web.Request) -> web.StreamResponse:
        prompt_id = request.match_info.get("prompt_id")
        limit = request.query.get("max_items", "0")
        if not limit.lstrip("-").isdigit():
            return web.Response(status=400, text="max_items must be an integer")
        with self._lock:
            if prompt_id is not None:
                entry = self._history.get(prompt_id)
                return web.json_response({prompt_id: entry} if entry else {})
            items = list(self._history.items())
            if int(limit) > 0:
                items = items[-int(limit) :]
            return web.json_response(dict(items))

    async def _post_history(self, request: web.Request) -> web.StreamResponse:
        body = await _json(request)
        if not isinstance(body, dict):
            return _crash()
        with self._lock:
            if body.get("clear"):
                self._history = {}
            for prompt_id in body.get("delete", []):
                self._history.pop(prompt_id, None)
            self._changed()
        return web.Response(status=200)

    # -- files -----------------------------------------------------------------------------
    async def _view(self, request: web.Request) -> web.StreamResponse:
        query = request.query
        if "filename" not in query:
            return web.Response(status=404)
        name, kind = _annotated(query["filename"])
        if not name or name.startswith("/") or ".." in name:
            return web.Response(status=400)
        kind = kind or query.get("type", "output")
        if kind not in _DIRECTORIES:
            return web.Response(status=400)
        subfolder = _folder(query.get("subfolder", ""))
        if subfolder is None:
            return web.Response(status=403)
        name = posixpath.basename(name)
        with self._lock:
            data = self._files.get((kind, subfolder, name))
        if data is None:
            return web.Response(status=404)
        content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        if content_type in ("text/html", "application/xhtml+xml", "text/javascript", "text/css"):
            content_type = "application/octet-stream"  # ComfyUI forces these to download
        headers = {"Content-Disposition": f'filename="{name}"'}
        return web.Response(body=data, content_type=content_type, headers=headers)

    async def _upload(self, request: web.Request) -> web.StreamResponse:
        post = await request.post()
        image = post.get("image")
        kind = str(post.get("type") or "input")
        if not isinstance(image, web.FileField) or not image.filename:
            return web.Response(status=400)
        if kind not in _DIRECTORIES:
            return _crash()  # ComfyUI has no folder for it
        given = str(post.get("subfolder", ""))
        subfolder = _folder(given)
        if subfolder is None or "/" in image.filename:
            return web.Response(status=400)
        data = image.file.read()
        name = image.filename
        stem, extension = posixpath.splitext(name)
        with self._lock:
            if str(post.get("overwrite")) not in ("true", "1"):
                # A taken name gets " (1)", " (2)"…, unless it holds these very bytes.
                for n in itertools.count(1):
                    existing = self._files.get((kind, subfolder, name))
                    if existing is None or existing == data:
                        break
                    name = f"{stem} ({n}){extension}"
            self._files[(kind, subfolder, name)] = data
            self._changed()
        return web.json_response({"name": name, "subfolder": given, "type": kind})

    def _file_key(self, value: Any) -> tuple[str, str, str] | None:
        """Where LoadImage's `image` value points: "x.png", "sub/x.png", "x.png [output]"."""
        if not isinstance(value, str):
            return None
        name, kind = _annotated(value)
        subfolder = _folder(posixpath.dirname(name))
        if subfolder is None:
            return None
        return (kind or "input", subfolder, posixpath.basename(name))

    def _has_file(self, value: Any) -> bool:
        key = self._file_key(value)
        with self._lock:
            return key is not None and key in self._files

    def _image_size(self, value: str) -> tuple[int, int] | None:
        key = self._file_key(value)
        with self._lock:
            data = self._files.get(key) if key else None
        info = sniff(data) if data else None
        return (info.width, info.height) if info else None

    # -- execution: main.prompt_worker and execution.PromptExecutor -------------------------
    async def _work(self) -> None:
        while True:
            self._queued.clear()
            with self._lock:
                item = heapq.heappop(self._pending) if self._pending else None
                if item is not None:
                    self._running = item
                    item.record.status, item.record.started_at = "running", time.monotonic()
                    self._queue_updated()
                    self._changed()
            if item is None:
                await self._queued.wait()
                continue
            try:
                await self._execute(item)
            except Exception:  # a stand-in bug: report it, keep the queue moving
                with self._lock:
                    self.internal_errors.append(traceback.format_exc())
                    item.record.status = "error"
                    self._running = None
                    self._changed()

    async def _execute(self, item: _Item) -> None:
        self._interrupt.clear()
        client = item.extra_data.get("client_id")
        run = _Run(item, client if isinstance(client, str) else None)
        self._current_client = run.client
        pid = item.prompt_id
        self._add_message(run, "execution_start", {"prompt_id": pid}, broadcast=False)
        signatures = self._signatures(item.graph, item.outputs)
        with self._lock:  # the classic cache keeps only what this prompt can use
            live = set(signatures.values())
            self._cache = {key: ui for key, ui in self._cache.items() if key in live}
            cached = [n for n in item.graph if n in signatures and signatures[n] in self._cache]
        self._add_message(run, "execution_cached", {"nodes": cached, "prompt_id": pid}, False)
        status: Status = "success"
        error = None
        try:
            for node_id in _order(item.graph, item.outputs, set(cached)):
                await self._run_node(run, node_id, signatures[node_id], node_id in cached)
        except _Stop as stop:
            report = {
                "prompt_id": pid,
                "node_id": stop.node_id,
                "node_type": item.graph[stop.node_id]["class_type"],
                "executed": list(run.executed),
            }
            if stop.failure is None:
                status = "interrupted"
                self._add_message(run, "execution_interrupted", report, broadcast=True)
            else:
                status, error = "error", stop.failure[0]
                failure = self._failure(run, stop, report, cached)
                self._add_message(run, "execution_error", failure, broadcast=False)
        else:
            self._add_message(run, "execution_success", {"prompt_id": pid}, broadcast=False)
        self._last_node = None
        self._finish(run, status, error)

    def _failure(
        self, run: _Run, stop: _Stop, report: dict[str, Any], cached: list[str]
    ) -> dict[str, Any]:
        """PromptExecutor.handle_execution_error's report, with a stand-in traceback."""
        assert stop.failure is not None
        kind, message = stop.failure
        graph = run.item.graph
        node = graph[stop.node_id]
        spec = self._classes[node["class_type"]].inputs
        current = {}
        for name, value in node["inputs"].items():
            source = _linked(graph, value)
            if source is not None:  # a live object upstream; ComfyUI shows its str()
                current[name] = [f"<{source['class_type']} output {value[1]}>"]
            elif name in spec:
                current[name] = [_format_value(value)]
        tips = _OOM_TIPS if kind == OOM_ERROR[0] else ""
        frames = [
            '  File "/ComfyUI/execution.py", line 496, in execute\n'
            "    output_data, output_ui, has_subgraph, has_pending_tasks = "
            "await get_output_data(prompt_id, unique_id, obj, input_data_all)\n",
            f'  File "/ComfyUI/nodes.py", line 1, in {node["class_type"]}\n',
        ]
        return report | {
            "exception_message": f"{message}\n{tips}",
            "exception_type": kind,
            "traceback": frames,
            "current_inputs": current,
            "current_outputs": cached,
        }

    def _add_message(self, run: _Run, event: str, data: dict[str, Any], broadcast: bool) -> None:
        """PromptExecutor.add_message: stamped, kept for /history, sent to the prompt's client
        (to everyone only if it has none and `broadcast`)."""
        data = data | {"timestamp": int(time.time() * 1000)}
        run.messages.append([event, data])
        if run.client is not None or broadcast:
            self._emit(event, data, run.client)

    def _signatures(self, graph: dict[str, Any], outputs: list[str]) -> dict[str, str]:
        """CacheKeySetInputSignature: class, inputs and upstream signatures; not the node id."""
        signatures: dict[str, str] = {}

        def sign(node_id: str) -> str:
            if node_id not in signatures:
                node = graph[node_id]
                parts: list[Any] = [node["class_type"]]
                for name, value in sorted(node["inputs"].items()):
                    linked = _is_link(value) and value[0] in graph
                    parts.append([name, sign(value[0]), value[1]] if linked else [name, value])
                if node["class_type"] == "LoadImage":  # its IS_CHANGED hashes the file
                    key = self._file_key(node["inputs"]["image"])
                    with self._lock:
                        data = self._files.get(key) if key else None
                    parts.append(hashlib.sha256(data or b"").hexdigest())
                signatures[node_id] = json.dumps(parts, sort_keys=True, default=str)
            return signatures[node_id]

        for output in outputs:
            sign(output)
        return signatures

    async def _run_node(self, run: _Run, node_id: str, signature: str, cached: bool) -> None:
        pid = run.item.prompt_id
        node = run.item.graph[node_id]
        kind = node["class_type"]
        if cached:  # only an output node gets here cached: it re-sends its files
            ui = self._cache[signature]
            if run.client is not None:
                executed = {
                    "node": node_id,
                    "display_node": node_id,
                    "output": ui,
                    "prompt_id": pid,
                }
                self._emit("executed", executed, run.client)
            if ui is not None:
                run.outputs[node_id] = ui
            self._progress(run, node_id, finished=True)
            return
        self._progress(run, node_id, 0.0, 1.0)
        if run.client is not None:
            self._last_node = node_id
            executing = {"node": node_id, "display_node": node_id, "prompt_id": pid}
            self._emit("executing", executing, run.client)
        outcome = run.item.outcome
        if self._interrupt.is_set():  # nodes.before_node_execution
            raise _Stop(node_id)
        if outcome.fail_at in (node_id, kind):
            raise _Stop(node_id, outcome.exception)
        if outcome.stall_at in (node_id, kind):
            await self._sleep(None)
            raise _Stop(node_id)
        ui = None
        if kind == "KSampler":
            await self._sample(run, node_id)
        elif kind == "LoadImage" and self._image_size(node["inputs"]["image"]) is None:
            path = f"/ComfyUI/input/{node['inputs']['image']}"
            raise _Stop(
                node_id, ("PIL.UnidentifiedImageError", f"cannot identify image file '{path}'")
            )
        elif kind == "SaveImage":
            ui = await self._save(run, node_id)
        with self._lock:
            self._cache[signature] = ui
            run.executed.append(node_id)
        self._progress(run, node_id, finished=True)

    async def _sample(self, run: _Run, node_id: str) -> None:
        graph = run.item.graph
        steps = graph[node_id]["inputs"]["steps"]
        step_time = (self.service_time + run.item.outcome.extra_time) / steps
        picture = _latent(graph, graph[node_id], self._image_size)
        for step in range(1, steps + 1):
            # The progress hook checks for an interrupt before it reports each step.
            if not await self._sleep(step_time):
                raise _Stop(node_id)
            self._progress(run, node_id, step, steps)
            with self._lock:
                run.item.record.steps_at.append(time.monotonic())
            progress = {
                "value": step,
                "max": steps,
                "prompt_id": run.item.prompt_id,
                "node": node_id,
            }
            self._emit("progress", progress, run.client)
            if self.previews and picture is not None:
                preview = png(
                    f"{picture.text} step {step}",
                    width=max(8, picture.width // 8),
                    height=max(8, picture.height // 8),
                )
                frame = struct.pack(">II", _PREVIEW_IMAGE, _PNG_PREVIEW) + preview
                self._outbox.put_nowait((frame, run.client))

    async def _save(self, run: _Run, node_id: str) -> dict[str, Any]:
        graph = run.item.graph
        inputs = graph[node_id]["inputs"]
        picture = _pixels(graph, _linked(graph, inputs["images"]), self._image_size)
        assert picture is not None, "validation lets only traceable images reach SaveImage"
        folder, name = posixpath.split(posixpath.normpath(inputs["filename_prefix"]))
        subfolder = _folder(folder)
        if subfolder is None:
            message = "**** ERROR: Saving image outside the output folder is not allowed."
            raise _Stop(node_id, ("Exception", message))
        data = await asyncio.to_thread(
            png, picture.text, width=picture.width, height=picture.height
        )
        counter = re.compile(re.escape(name) + r"_(\d+)_")
        with self._lock:
            taken = (
                int(match.group(1))
                for (kind, where, saved) in self._files
                if kind == "output" and where == subfolder and (match := counter.match(saved))
            )
            first = max(taken, default=0) + 1
            images = []
            for n in range(first, first + picture.count):
                filename = f"{name}_{n:05}_.png"
                self._files[("output", subfolder, filename)] = data
                images.append({"filename": filename, "subfolder": subfolder, "type": "output"})
            run.item.record.images.extend(images)
            self._changed()
        ui = {"images": images}
        run.outputs[node_id] = ui
        if run.client is not None:
            executed = {
                "node": node_id,
                "display_node": node_id,
                "output": ui,
                "prompt_id": run.item.prompt_id,
            }
            self._emit("executed", executed, run.client)
        return ui

    def _progress(
        self,
        run: _Run,
        node_id: str,
        value: float = 0.0,
        top: float = 1.0,
        *,
        finished: bool = False,
    ) -> None:
        """WebUIProgressHandler: every start, step and finish re-sends all started nodes'
        states, to every socket."""
        entry = run.progress.setdefault(node_id, {"value": 0, "max": 1, "state": "pending"})
        if finished:
            entry |= {"value": entry["max"], "state": "finished"}
        else:
            entry |= {"value": value, "max": top, "state": "running"}
        pid = run.item.prompt_id
        nodes = {
            nid: state
            | {
                "node_id": nid,
                "prompt_id": pid,
                "display_node_id": nid,
                "parent_node_id": None,
                "real_node_id": nid,
            }
            for nid, state in run.progress.items()
        }
        self._emit("progress_state", {"prompt_id": pid, "nodes": nodes}, None)

    async def _sleep(self, seconds: float | None) -> bool:
        """Sampling time; False if an interrupt cut it short (None: wait for one)."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._interrupt.wait()
        return not self._interrupt.is_set()

    def _finish(self, run: _Run, status: Status, error: str | None) -> None:
        """PromptQueue.task_done, then the `executing: null` that tells the client it ended."""
        item = run.item
        success = status == "success"
        meta = {
            nid: {"node_id": nid, "display_node": nid, "parent_node": None, "real_node_id": nid}
            for nid in run.outputs
        }
        with self._lock:
            self._history[item.prompt_id] = {
                "prompt": item.listed(),
                "outputs": run.outputs,
                "status": {
                    "status_str": "success" if success else "error",
                    "completed": success,
                    "messages": run.messages,
                },
                "meta": meta,
            }
            self._running = None
            item.record.status, item.record.error = status, error
            item.record.finished_at = time.monotonic()
            self._queue_updated()
            self._changed()
        if run.client is not None:
            self._emit("executing", {"node": None, "prompt_id": item.prompt_id}, run.client)


def _order(graph: dict[str, Any], outputs: list[str], cached: set[str]) -> list[str]:
    """The nodes to run, each after its inputs; cached ones are not run (nor their inputs)."""
    order: list[str] = []

    def visit(node_id: str) -> None:
        if node_id in order:
            return
        if node_id not in cached:
            for value in graph[node_id]["inputs"].values():
                if _is_link(value) and value[0] in graph and value[0] not in cached:
                    visit(value[0])
        order.append(node_id)

    for output in outputs:
        visit(output)
    return order


def _message(event: str, data: dict[str, Any]) -> str:
    return json.dumps({"type": event, "data": data})


async def _json(request: web.Request) -> Any:
    """The body as JSON, or None if it is not JSON (or empty)."""
    try:
        return await request.json()
    except ValueError:
        return None


def _crash() -> web.Response:
    """What aiohttp answers when a ComfyUI handler raises on a body it did not expect."""
    return web.Response(status=500, text=_CRASH)


async def _deliver(ws: web.WebSocketResponse, payload: str | bytes) -> None:
    """send_socket_catch_exception: a client that went away just misses the message."""
    with contextlib.suppress(ConnectionError, aiohttp.ClientError):
        if isinstance(payload, bytes):
            await ws.send_bytes(payload)
        else:
            await ws.send_str(payload)
