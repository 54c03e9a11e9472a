"""`LlmStandin`: an OpenAI-compatible `POST /v1/chat/completions` (LLM_BASE_URL={base}/v1).

Its default answer wraps the enhanced prompt in a chatty preamble and quotes, as real
models do, so Easel's answer cleaning is exercised on every run. `mode` switches to
outage, slowness, empty, fenced or rate-limited answers at runtime.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from typing import Any, Literal

from aiohttp import web

from easel_devtools.standins._server import StandinServer

Mode = Literal["normal", "down", "slow", "empty", "fenced", "rate_limited"]
MODES: tuple[Mode, ...] = ("normal", "down", "slow", "empty", "fenced", "rate_limited")
DEFAULT_LLM_KEY = "llm-standin-key"
ENHANCEMENT = "golden hour light, highly detailed, 35mm photograph"


@dataclass
class LlmRequest:
    body: Any  # the parsed JSON body (None if it was not JSON)
    headers: dict[str, str]  # without Authorization
    auth_present: bool
    received_at: float  # monotonic
    mode: Mode
    status: int | None = None  # None: never answered (client gave up, server stopped)


# What a real model does with a request in another language when the system prompt asks
# for English: this stand-in knows only these, the ones the tests and the demo send; any
# other text goes through untranslated.
TRANSLATIONS = {
    "یک گربه روی لبهٔ پنجره": "a cat on a windowsill",
    "pencere kenarında bir kedi": "a cat on a windowsill",
    "кот на подоконнике": "a cat on a windowsill",
}


def enhance(prompt: str, english: bool = False) -> str:
    """The deterministic answer content for `prompt` in normal mode; in English when the
    system prompt asks for it and the request is one this stand-in can translate."""
    if english:
        prompt = TRANSLATIONS.get(prompt.strip(), prompt)
    return f'Here is an enhanced prompt: "{prompt}, {ENHANCEMENT}"'


def _openai_error(status: int, message: str, kind: str, code: str | None) -> web.Response:
    body = {"error": {"message": message, "type": kind, "param": None, "code": code}}
    return web.json_response(body, status=status)


def _user_prompt(messages: list[Any]) -> str:
    for message in reversed(messages):
        if message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, list):  # content parts
                return " ".join(p.get("text", "") for p in content if isinstance(p, dict))
            return str(content)
    return ""


def _system_prompt(messages: list[Any]) -> str:
    return " ".join(str(m.get("content")) for m in messages if m.get("role") == "system")


def _shape_error(body: Any) -> str | None:
    if not isinstance(body, dict):
        return "We could not parse the JSON body of your request."
    if not isinstance(body.get("model"), str) or not body["model"]:
        return "you must provide a model parameter"
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return "Missing required parameter: 'messages'."
    for i, message in enumerate(messages):
        if not isinstance(message, dict) or "role" not in message or "content" not in message:
            return f"Invalid value for 'messages[{i}]': expected an object with role and content."
    temperature = body.get("temperature")
    if temperature is not None:
        if isinstance(temperature, bool) or not isinstance(temperature, int | float):
            return "Invalid type for 'temperature': expected a decimal."
        if not 0 <= temperature <= 2:
            return f"Invalid 'temperature': decimal out of range [0, 2]. Got {temperature}."
    max_tokens = body.get("max_tokens")
    if max_tokens is not None and (
        isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or max_tokens < 1
    ):
        return "Invalid 'max_tokens': expected an integer of at least 1."
    return None


class LlmStandin(StandinServer):
    def __init__(
        self,
        api_key: str | None = DEFAULT_LLM_KEY,
        *,
        port: int = 0,
        mode: Mode = "normal",
        latency: float = 0.0,
        slow_seconds: float = 60.0,
        retry_after: int = 1,
    ) -> None:
        super().__init__(port=port)
        self.api_key = api_key
        self.mode = mode  # read per request, so tests may flip it at any time
        self.latency = latency
        self.slow_seconds = slow_seconds
        self.retry_after = retry_after
        self.answer: str | None = None  # fixed content for normal mode instead of enhance()
        self._requests: list[LlmRequest] = []
        self._served = 0

    @property
    def mode(self) -> Mode:
        return self._mode

    @mode.setter
    def mode(self, mode: Mode) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
        self._mode = mode

    @property
    def url(self) -> str:
        """What LLM_BASE_URL should be."""
        return self.base_url + "/v1"

    @property
    def requests(self) -> list[LlmRequest]:
        with self._lock:
            return [dataclasses.replace(r) for r in self._requests]

    @property
    def hits(self) -> int:
        with self._lock:
            return len(self._requests)

    def describe(self) -> str:
        with self._lock:
            statuses = [r.status for r in self._requests]
            return f"mode={self.mode} hits={len(statuses)} statuses={statuses[-10:]}"

    def build_app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._completions)
        app.router.add_get("/v1/models", self._models)
        return app

    async def _models(self, request: web.Request) -> web.Response:
        return web.json_response({"object": "list", "data": [{"id": "standin", "object": "model"}]})

    async def _completions(self, request: web.Request) -> web.StreamResponse:
        try:
            body: Any = await request.json()
        except ValueError:
            body = None
        auth = request.headers.get("Authorization")
        record = LlmRequest(
            body=body,
            headers={k: v for k, v in request.headers.items() if k.lower() != "authorization"},
            auth_present=auth is not None,
            received_at=time.monotonic(),
            mode=self.mode,
        )
        with self._lock:
            self._requests.append(record)
            self._changed()
        try:
            response = await self._respond(request, record, auth)
            with self._lock:
                record.status = response.status
            return response
        finally:
            self._changed()

    async def _respond(
        self, request: web.Request, record: LlmRequest, auth: str | None
    ) -> web.StreamResponse:
        if self.api_key is not None and auth != f"Bearer {self.api_key}":
            return _openai_error(
                401, "Incorrect API key provided", "invalid_request_error", "invalid_api_key"
            )
        if problem := _shape_error(record.body):
            return _openai_error(400, problem, "invalid_request_error", None)
        mode = record.mode
        wait = self.latency + (self.slow_seconds if mode == "slow" else 0.0)
        if not await self._pause(wait):
            return await self._hold_until_stopped(request)
        if mode == "down":
            message = "The server had an error while processing your request. Sorry about that!"
            return _openai_error(500, message, "server_error", None)
        if mode == "rate_limited":
            response = _openai_error(
                429, "Rate limit reached for requests", "requests", "rate_limit_exceeded"
            )
            response.headers["Retry-After"] = str(self.retry_after)
            return response
        prompt = _user_prompt(record.body["messages"])
        english = "english" in _system_prompt(record.body["messages"]).lower()
        content = self.answer if self.answer is not None else enhance(prompt, english)
        if mode == "empty":
            content = ""
        elif mode == "fenced":
            content = f"```text\n{content}\n```"
        return web.json_response(self._completion(record.body, prompt, content))

    def _completion(self, body: dict[str, Any], prompt: str, content: str) -> dict[str, Any]:
        with self._lock:
            self._served += 1
            serial = self._served
        prompt_tokens = sum(len(str(m.get("content", "")).split()) for m in body["messages"])
        completion_tokens = len(content.split())
        return {
            "id": f"chatcmpl-standin{serial:06d}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body["model"],
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content},
                    "logprobs": None,
                    "finish_reason": "stop",
                }
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        }
