"""`OpenAIImagesStandin`: OpenAI's Images API, and servers that copy it, on loopback.

`POST /v1/images/generations` (JSON) and `POST /v1/images/edits` (multipart/form-data)
answer `{"created", "data": [{"b64_json" | "url", "revised_prompt"?}]}`; a `url` points
back at this server (`GET /images/<name>`, no key, like OpenAI's signed blob links).

Each model has its sizes (configurable, so an OpenAI-compatible server's models fit too)
and one of OpenAI's model families, whose quirks it gets: dall-e-3 makes one image per
request and revises prompts, GPT image models refuse `response_format` and answer in
base64, and each family words its size and moderation refusals its own way.

Errors are `{"error": {"message", "type", "param", "code"}}` with the statuses the
official client maps to its exceptions (400 BadRequestError, 401 AuthenticationError,
429 RateLimitError, 5xx InternalServerError). Faults are scripted with
`workers.Behaviour`, one per valid request; `capacity` bounds requests in flight.
"""

from __future__ import annotations

import base64
import dataclasses
import itertools
import time
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, Literal, TypeVar

from aiohttp import hdrs, web
from aiohttp.web_request import FileField

from easel_devtools.standins._server import StandinServer
from easel_devtools.standins.images import png, sniff
from easel_devtools.standins.workers import HTML_PAGE, Behaviour, CapacityStats, json_error

Family = Literal["dall-e-2", "dall-e-3", "gpt-image"]
Endpoint = Literal["generations", "edits"]
_T = TypeVar("_T")


@dataclass(frozen=True)
class ImageModel:
    sizes: tuple[str, ...]
    family: Family = "dall-e-2"


DEFAULT_MODELS: dict[str, ImageModel] = {
    "dall-e-2": ImageModel(("256x256", "512x512", "1024x1024")),
    "dall-e-3": ImageModel(("1024x1024", "1792x1024", "1024x1792"), "dall-e-3"),
    "gpt-image-1": ImageModel(("1024x1024", "1536x1024", "1024x1536", "auto"), "gpt-image"),
}
DEFAULT_OPENAI_KEY = "sk-standin-images-key"
BLOCKED_WORDS = ("forbidden",)

_MAX_N: dict[Family, int] = {"dall-e-2": 10, "dall-e-3": 1, "gpt-image": 10}
_MAX_PROMPT: dict[Family, int] = {"dall-e-2": 1000, "dall-e-3": 4000, "gpt-image": 32000}
_EDITS: frozenset[Family] = frozenset({"dall-e-2", "gpt-image"})
# What images.generate() and images.edit() of the official client (3.60) may send.
_PARAMETERS = frozenset(
    {
        "background",
        "complexity",
        "frame_count",
        "frame_duration_ms",
        "input_fidelity",
        "markup",
        "mask",
        "model",
        "moderation",
        "n",
        "output_compression",
        "output_format",
        "partial_images",
        "prompt",
        "quality",
        "response_format",
        "safety_identifier",
        "size",
        "stream",
        "style",
        "svg",
        "user",
    }
)
_FORMATS = ("url", "b64_json")
_JSON_TYPES: dict[type, str] = {
    bool: "a boolean",
    int: "an integer",
    float: "a decimal",
    str: "a string",
    list: "an array",
    dict: "an object",
    type(None): "null",
}
_BAD_JSON = (
    "We could not parse the JSON body of your request. (HINT: This likely means you aren't"
    " using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was"
    " sent was not valid JSON.)"
)
_NO_KEY = (
    "You didn't provide an API key. You need to provide your API key in an Authorization"
    " header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."
)
_SERVER_ERROR = "The server had an error while processing your request. Sorry about that!"


def revise(prompt: str) -> str:
    """The `revised_prompt` a dall-e-3 family model reports for `prompt`."""
    return f"{prompt}, rendered in rich detail with soft natural light"


@dataclass
class ImageRequest:
    """One request: what was sent, the model defaulted if left out (the other fields once
    the request passed validation). Times are time.monotonic(); status None means it was
    never answered."""

    endpoint: Endpoint
    received_at: float
    model: str | None = None
    prompt: str | None = None
    size: str | None = None
    n: int | None = None
    response_format: str | None = None
    has_image: bool = False  # edits: an image file came with it
    finished_at: float | None = None
    status: int | None = None
    error_code: str | None = None  # the error body's `code`, when it had one
    source: str = "normal"  # "normal" | "script" | "over capacity" | "rejected"


class _Refused(Exception):
    """An OpenAI error answer, raised where the problem is found."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        kind: str = "invalid_request_error",
        param: str | None = None,
        code: str | None = None,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.retry_after = status, code, retry_after
        self.body = {"error": {"message": message, "type": kind, "param": param, "code": code}}

    def response(self) -> web.Response:
        return json_error(self.status, self.body, retry_after=self.retry_after)


def _typed(kind: type[_T], value: object) -> _T | None:
    """`value` if it is a `kind` (a JSON boolean is no integer), else None."""
    if isinstance(value, kind) and not (kind is int and isinstance(value, bool)):
        return value
    return None


def _invalid_value(name: str, value: object, allowed: Iterable[str]) -> _Refused:
    quoted = [f"'{a}'" for a in allowed]
    if len(quoted) <= 2:
        listed = " and ".join(quoted)
    else:
        listed = ", ".join(quoted[:-1]) + f", and {quoted[-1]}"
    message = f"Invalid value: '{value}'. Supported values are: {listed}."
    return _Refused(400, message, param=name, code="invalid_value")


def _invalid_type(name: str, expected: str, value: object) -> _Refused:
    got = _JSON_TYPES.get(type(value), "a value")
    message = f"Invalid type for '{name}': expected {expected}, but got {got} instead."
    return _Refused(400, message, param=name, code="invalid_type")


def _missing(name: str) -> _Refused:
    message = f"Missing required parameter: '{name}'."
    return _Refused(400, message, param=name, code="missing_required_parameter")


def _rate_limited(model: str, retry_after: int) -> _Refused:
    message = (
        f"Rate limit reached for images per minute in organization org-standin on {model}:"
        f" Limit 5, Used 5, Requested 1. Please try again in {retry_after}s. Visit"
        " https://platform.openai.com/account/rate-limits to learn more."
    )
    return _Refused(
        429, message, kind="requests", code="rate_limit_exceeded", retry_after=retry_after
    )


def _failure(behaviour: Behaviour, model: str) -> _Refused:
    """A scripted status, with its `body` or else OpenAI's body for that status."""
    status, retry_after = behaviour.status, behaviour.retry_after
    if status == 429:
        refused = _rate_limited(model, 1 if retry_after is None else retry_after)
    elif status >= 500:
        refused = _Refused(status, _SERVER_ERROR, kind="server_error", retry_after=retry_after)
    else:
        refused = _Refused(status, HTTPStatus(status).phrase, retry_after=retry_after)
    if behaviour.body is not None:
        refused.body = behaviour.body
    return refused


@dataclass(frozen=True)
class _Valid:
    model: str
    spec: ImageModel
    prompt: str
    n: int
    size: str
    response_format: str


class OpenAIImagesStandin(StandinServer, CapacityStats):
    """`api_key=None` accepts any request, as many OpenAI-compatible servers do."""

    def __init__(
        self,
        api_key: str | None = DEFAULT_OPENAI_KEY,
        *,
        models: Mapping[str, ImageModel] | None = None,
        default_model: str = "dall-e-2",
        blocked_words: Iterable[str] = BLOCKED_WORDS,
        service_time: float = 0.0,
        capacity: int | None = None,
        image_size: int | None = None,
        port: int = 0,
    ) -> None:
        super().__init__(port=port)
        self.api_key = api_key
        self.models = dict(DEFAULT_MODELS if models is None else models)
        self.default_model = default_model  # what OpenAI uses when `model` is left out
        self.blocked_words = tuple(word.lower() for word in blocked_words)
        self.service_time = service_time
        self.capacity = capacity  # requests in flight beyond this get 429; None: no limit
        self.image_size = image_size  # pad each PNG to this many bytes, as workers.py does
        self._script: deque[Behaviour] = deque()
        self._requests: list[ImageRequest] = []
        self._stored: dict[str, bytes] = {}  # what `url` answers point at
        self._names = itertools.count(1)
        self._in_flight = 0
        self._max_concurrency = 0
        self._violations = 0

    @property
    def url(self) -> str:
        """The client's base URL: `OpenAI(base_url=standin.url)`."""
        return self.base_url + "/v1"

    # -- configuring behaviour -----------------------------------------------------------
    def script(self, behaviours: Iterable[int | Behaviour]) -> None:
        """Append behaviours, each consumed by one valid request; then back to normal.

        A status without a `body` gets OpenAI's for it (429: rate_limit_exceeded with
        Retry-After, default 1 s; 5xx: server_error).
        """
        with self._lock:
            for item in behaviours:
                self._script.append(item if isinstance(item, Behaviour) else Behaviour(item))
            self._changed()

    # -- reading what happened -----------------------------------------------------------
    @property
    def requests(self) -> list[ImageRequest]:
        with self._lock:
            return [dataclasses.replace(r) for r in self._requests]

    @property
    def hits(self) -> int:
        with self._lock:
            return len(self._requests)

    def describe(self) -> str:
        with self._lock:
            statuses = [r.status for r in self._requests]
            return (
                f"hits={len(statuses)} statuses={statuses[-10:]} in_flight={self._in_flight}"
                f" script_left={len(self._script)} violations={self._violations}"
            )

    # -- serving -------------------------------------------------------------------------
    def build_app(self) -> web.Application:
        app = web.Application(client_max_size=64 << 20)  # edits upload whole images
        app.router.add_post("/v1/images/generations", self._generations)
        app.router.add_post("/v1/images/edits", self._edits)
        app.router.add_get("/images/{name}", self._stored_image)
        return app

    async def _generations(self, request: web.Request) -> web.StreamResponse:
        return await self._handle(request, "generations")

    async def _edits(self, request: web.Request) -> web.StreamResponse:
        return await self._handle(request, "edits")

    async def _stored_image(self, request: web.Request) -> web.StreamResponse:
        with self._lock:
            image = self._stored.get(request.match_info["name"])
        if image is None:
            raise web.HTTPNotFound()
        return web.Response(body=image, content_type="image/png")

    async def _handle(self, request: web.Request, endpoint: Endpoint) -> web.StreamResponse:
        record = ImageRequest(endpoint=endpoint, received_at=time.monotonic())
        with self._lock:
            self._requests.append(record)
            self._changed()
        admitted = False
        try:
            try:
                self._check_key(request)
                valid = await self._parse(request, record)
                behaviour = self._admit(record, valid)
                admitted = True
                response = await self._answer(request, record, valid, behaviour)
            except _Refused as refused:
                with self._lock:
                    record.error_code = refused.code
                    if record.source == "normal" and not admitted:
                        record.source = "rejected"
                response = refused.response()
            with self._lock:
                record.status = response.status
            return response
        finally:  # also when the client gives up (handler cancelled) or the server stops
            with self._lock:
                if admitted:
                    self._in_flight -= 1
                record.finished_at = time.monotonic()
                self._changed()

    def _check_key(self, request: web.Request) -> None:
        if self.api_key is None:
            return
        header = request.headers.get(hdrs.AUTHORIZATION)
        if header is None:
            raise _Refused(401, _NO_KEY)
        key = header.removeprefix("Bearer ")
        if key != self.api_key:
            shown = key[:3] + "*" * (len(key) - 7) + key[-4:] if len(key) > 7 else key
            message = (
                f"Incorrect API key provided: {shown}. You can find your API key at"
                " https://platform.openai.com/account/api-keys."
            )
            raise _Refused(401, message, code="invalid_api_key")

    async def _parse(self, request: web.Request, record: ImageRequest) -> _Valid:
        """The request's parameters, checked against its model; the record notes them."""
        images: list[bytes] = []
        if record.endpoint == "generations":
            try:
                params = await request.json()
            except ValueError:
                raise _Refused(400, _BAD_JSON) from None
            if not isinstance(params, dict):
                raise _Refused(400, _BAD_JSON)
        else:
            params, images = await _form(request)
        model = params.get("model")
        with self._lock:
            record.model = _typed(str, self.default_model if model is None else model)
            record.prompt = _typed(str, params.get("prompt"))
            record.size = _typed(str, params.get("size"))
            record.n = _typed(int, params.get("n"))
            record.response_format = _typed(str, params.get("response_format"))
            record.has_image = bool(images)
        valid = self._validate(params, record.endpoint, images)
        with self._lock:
            record.model, record.prompt, record.n = valid.model, valid.prompt, valid.n
            record.size, record.response_format = valid.size, valid.response_format
        return valid

    def _validate(self, params: dict[str, Any], endpoint: Endpoint, images: list[bytes]) -> _Valid:
        for name in params:
            if name not in _PARAMETERS:
                message = f"Unknown parameter: '{name}'."
                raise _Refused(400, message, param=name, code="unknown_parameter")
        model = params.get("model")
        if model is None:
            model = self.default_model
        if not isinstance(model, str):
            raise _invalid_type("model", "a string", model)
        usable = [
            name
            for name, known in self.models.items()
            if endpoint == "generations" or known.family in _EDITS
        ]
        if model not in usable:
            raise _invalid_value("model", model, usable)
        spec = self.models[model]
        family = spec.family
        if endpoint == "edits" and not images:
            raise _missing("image")
        if endpoint == "edits" and not all(sniff(image) for image in images):
            message = "Invalid image file or mode for image 1, please check your image file."
            raise _Refused(400, message, param="image", code="invalid_image_file")
        prompt = params.get("prompt")
        if prompt is None:
            raise _missing("prompt")
        if not isinstance(prompt, str):
            raise _invalid_type("prompt", "a string", prompt)
        limit = _MAX_PROMPT[family]
        if len(prompt) > limit:
            message = (
                f"Invalid 'prompt': string too long. Expected a string with maximum length"
                f" {limit}, but got a string with length {len(prompt)} instead."
            )
            raise _Refused(400, message, param="prompt", code="string_above_max_length")
        n = params.get("n")
        n = 1 if n is None else n
        if isinstance(n, bool) or not isinstance(n, int):
            raise _invalid_type("n", "an integer", n)
        if not 1 <= n <= _MAX_N[family]:
            above = n > _MAX_N[family]
            bound = f"<= {_MAX_N[family]}" if above else ">= 1"
            message = (
                f"Invalid 'n': integer {'above maximum' if above else 'below minimum'} value."
                f" Expected a value {bound}, but got {n} instead."
            )
            code = "integer_above_max_value" if above else "integer_below_min_value"
            raise _Refused(400, message, param="n", code=code)
        size = params.get("size")
        size = ("auto" if family == "gpt-image" else "1024x1024") if size is None else size
        if not isinstance(size, str):
            raise _invalid_type("size", "a string", size)
        if size not in spec.sizes:
            if family == "dall-e-3":
                message = "The size is not supported by this model."
                raise _Refused(400, message, code="invalid_size")
            raise _invalid_value("size", size, spec.sizes)
        response_format = params.get("response_format")
        if family == "gpt-image":
            if response_format is not None:  # they always answer in base64
                message = "Unknown parameter: 'response_format'."
                raise _Refused(400, message, param="response_format", code="unknown_parameter")
            response_format = "b64_json"
        response_format = "url" if response_format is None else response_format
        if response_format not in _FORMATS:
            raise _invalid_value("response_format", response_format, _FORMATS)
        if any(word in prompt.lower() for word in self.blocked_words):
            raise _moderated(family)
        return _Valid(model, spec, prompt, n, size, response_format)

    def _admit(self, record: ImageRequest, valid: _Valid) -> Behaviour:
        """Count it in flight and take its scripted behaviour; 429 if over capacity."""
        with self._lock:
            self._max_concurrency = max(self._max_concurrency, self._in_flight + 1)
            if self.capacity is not None and self._in_flight >= self.capacity:
                self._violations += 1
                record.source = "over capacity"
                self._changed()
                raise _rate_limited(valid.model, 1)
            self._in_flight += 1
            behaviour = Behaviour()
            if self._script:
                behaviour, record.source = self._script.popleft(), "script"
            self._changed()
            return behaviour

    async def _answer(
        self, request: web.Request, record: ImageRequest, valid: _Valid, behaviour: Behaviour
    ) -> web.StreamResponse:
        if behaviour.hang:
            return await self._hold_until_stopped(request)
        normal = behaviour.status == 200 and not behaviour.html
        if not await self._pause(behaviour.delay + (self.service_time if normal else 0.0)):
            return await self._hold_until_stopped(request)  # stopping: drop the connection
        if behaviour.html:
            return web.Response(text=HTML_PAGE, content_type="text/html")
        if not normal:
            raise _failure(behaviour, valid.model)
        data = [self._item(valid, record.endpoint, i) for i in range(valid.n)]
        return web.json_response({"created": int(time.time()), "data": data})

    def _item(self, valid: _Valid, endpoint: Endpoint, index: int) -> dict[str, str]:
        image = png(f"{valid.prompt}|{valid.model}|{endpoint}|{index}", size=self.image_size)
        item: dict[str, str] = {}
        if valid.response_format == "b64_json":
            item["b64_json"] = base64.b64encode(image).decode("ascii")
        else:
            with self._lock:
                name = f"img-standin{next(self._names):06d}.png"
                self._stored[name] = image
            item["url"] = f"{self.base_url}/images/{name}"
        if valid.spec.family == "dall-e-3":
            item["revised_prompt"] = revise(valid.prompt)
        return item


def _moderated(family: Family) -> _Refused:
    if family == "gpt-image":
        message = (
            "Your request was rejected by the safety system. If you believe this is an error,"
            " contact us at help.openai.com and include the request ID req_standin."
        )
        return _Refused(400, message, kind="image_generation_user_error", code="moderation_blocked")
    message = (
        "Your request was rejected as a result of our safety system. Your prompt may contain"
        " text that is not allowed by our safety system."
    )
    return _Refused(400, message, code="content_policy_violation")


async def _form(request: web.Request) -> tuple[dict[str, Any], list[bytes]]:
    """An edit's multipart fields (`n` as a number) and its image files (`image[]` too)."""
    if request.content_type != "multipart/form-data":
        message = (
            f"Invalid Content-Type header ({request.content_type}), expected"
            " multipart/form-data. (HINT: If you're using curl, you can pass -H"
            " 'Content-Type: multipart/form-data')"
        )
        raise _Refused(400, message)
    form = await request.post()
    images = [
        value.file.read()
        for key in ("image", "image[]")
        for value in form.getall(key, [])
        if isinstance(value, FileField)
    ]
    params: dict[str, Any] = {
        key: value
        for key, value in form.items()
        if isinstance(value, str) and key not in ("image", "image[]")
    }
    if "n" in params:
        try:
            params["n"] = int(params["n"])
        except ValueError:
            raise _invalid_type("n", "an integer", params["n"]) from None
    return params, images
