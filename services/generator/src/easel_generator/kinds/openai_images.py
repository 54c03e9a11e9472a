"""`openai_images`: OpenAI's Images API and the servers that speak it.

`POST {url}/images/generations` with `response_format: b64_json` and a Bearer key (from a
photo: `POST {url}/images/edits`, multipart, the photo as `image`); the model's
`upstream_model` is the name sent. A size goes as the nearest one the model allows.
A refused prompt (`content_policy_violation`, `moderation_blocked`) is `moderated`.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

import httpx

from easel.events import ErrorCode
from easel.settings import ModelSpec
from easel_generator import verdicts
from easel_generator.kinds._types import Answer, Render, base64_image
from easel_generator.kinds.plain import MAX_IMAGE_BYTES, read

MAX_ANSWER_BYTES = MAX_IMAGE_BYTES * 4 // 3 + (1 << 20)
_REFUSED = frozenset({"content_policy_violation", "moderation_blocked"})
# Not worth another try: the account has no credit left, whatever the status says.
_FINAL = frozenset({"insufficient_quota", "billing_hard_limit_reached"})


def nearest_size(size: str, allowed: tuple[str, ...]) -> str:
    """The allowed size closest in shape, then in area (pure)."""
    if not allowed or size in allowed:
        return size

    def distance(candidate: str) -> tuple[float, float]:
        (w, h), (cw, ch) = _dims(size), _dims(candidate)
        return abs(w / h - cw / ch), abs(w * h - cw * ch)

    return min(allowed, key=distance)


def _dims(size: str) -> tuple[int, int]:
    width, _, height = size.partition("x")
    return int(width), int(height)


def request_body(spec: ModelSpec, render: Render) -> dict[str, Any]:
    """The generations request (pure)."""
    body: dict[str, Any] = {**spec.defaults, **render.params}
    model = spec.upstream_model or spec.name
    body |= {"model": model, "prompt": render.prompt, "n": 1}
    if not model.startswith("gpt-image"):  # those always answer base64, and refuse the field
        body["response_format"] = "b64_json"
    if render.size is not None:
        body["size"] = nearest_size(render.size, spec.sizes)
    return body


def answer(status: int, retry_after: str | None, body: verdicts.Body) -> Answer:
    """The verdict on the API's answer (pure): the image, or the error it reports."""
    if 200 <= status < 300:
        try:
            encoded = json.loads(bytes(body))["data"][0]["b64_json"]
        except (ValueError, KeyError, IndexError, TypeError):
            return Answer(status, verdicts.Failure(ErrorCode.INVALID_IMAGE, "no data[0].b64_json"))
        return base64_image(status, encoded, "data[0].b64_json")
    code = _error_code(body)
    if code in _REFUSED:
        return Answer(status, verdicts.Failure(ErrorCode.MODERATED, f"HTTP {status}: {code}"))
    if code in _FINAL:
        return Answer(status, verdicts.Failure(ErrorCode.RATE_LIMITED, f"HTTP {status}: {code}"))
    return Answer(status, verdicts.classify_response(status, None, retry_after, body))


def _form_value(value: object) -> str:
    """A field as a form carries it: JSON's spelling for true and false."""
    return json.dumps(value) if isinstance(value, bool) else str(value)


def _error_code(body: verdicts.Body) -> str | None:
    """`error.code` of OpenAI's error body, if that is what it is."""
    try:
        code = json.loads(bytes(body))["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return None
    return code if isinstance(code, str) else None


class OpenAIImages:
    def __init__(self, spec: ModelSpec, client: httpx.AsyncClient) -> None:
        self._spec = spec
        self._client = client
        self._base = spec.url.rstrip("/")
        self._headers: dict[str, str] = {}
        if spec.api_key is not None:
            self._headers["Authorization"] = f"Bearer {spec.api_key.get_secret_value()}"

    async def attempt(self, render: Render) -> Answer:
        body = request_body(self._spec, render)
        if render.photo is None:
            request = self._client.build_request(
                "POST", f"{self._base}/images/generations", json=body, headers=self._headers
            )
        else:  # a form: every field as text, the photo as a file
            photo = render.photo
            request = self._client.build_request(
                "POST",
                f"{self._base}/images/edits",
                data={name: _form_value(value) for name, value in body.items()},
                files={"image": (photo.filename, photo.data, photo.content_type)},
                headers=self._headers,
            )
        response = await self._client.send(request, stream=True)
        async with contextlib.aclosing(response):
            data, complete = await read(response, MAX_ANSWER_BYTES)
        if not complete:
            return Answer(response.status_code, verdicts.too_large(MAX_IMAGE_BYTES))
        return answer(response.status_code, response.headers.get("retry-after"), data)
