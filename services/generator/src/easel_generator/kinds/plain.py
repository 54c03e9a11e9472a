"""`get_query` and `post_json`: a worker that answers the image's bytes themselves, to
`GET <url>?prompt=` or `POST <url> {"prompt"}` (with a Bearer key if configured)."""

from __future__ import annotations

import mmap
from contextlib import AbstractAsyncContextManager

import httpx

from easel.settings import ModelSpec
from easel_generator import verdicts
from easel_generator.kinds._types import Answer, Render, Rendered

MAX_IMAGE_BYTES = 20 << 20
MAX_ERROR_BODY_BYTES = 64 << 10  # enough to spot a moderation message


class Plain:
    def __init__(self, spec: ModelSpec, client: httpx.AsyncClient) -> None:
        self._spec = spec
        self._client = client

    async def attempt(self, render: Render) -> Answer:
        async with self._request(render.prompt) as response:
            ok = response.is_success
            body, complete = await read(response, MAX_IMAGE_BYTES if ok else MAX_ERROR_BODY_BYTES)
        if ok and not complete:
            return Answer(response.status_code, verdicts.too_large(MAX_IMAGE_BYTES))
        verdict = verdicts.classify_response(
            response.status_code,
            response.headers.get("content-type"),
            response.headers.get("retry-after"),
            body,
        )
        if isinstance(verdict, verdicts.Success):
            return Answer(response.status_code, verdict, Rendered(body, verdict.content_type))
        return Answer(response.status_code, verdict)

    def _request(self, prompt: str) -> AbstractAsyncContextManager[httpx.Response]:
        spec = self._spec
        if spec.backend == "get_query":
            # params= percent-encodes every character of the prompt (&, #, %, unicode …).
            return self._client.stream("GET", spec.url, params={"prompt": prompt})
        headers: dict[str, str] = {}
        if spec.api_key is not None:
            headers["Authorization"] = f"Bearer {spec.api_key.get_secret_value()}"
        return self._client.stream("POST", spec.url, json={"prompt": prompt}, headers=headers)


async def read(response: httpx.Response, limit: int) -> tuple[verdicts.Body, bool]:
    """Up to `limit` bytes of the body, and whether that was all of it.

    Held once: a body of announced length is read into a buffer of that size, any other
    into a list of chunks joined at the end (a growing buffer would be copied as it grows).
    The buffer is an anonymous memory mapping, returned to the system when the last view
    goes: a freed heap block of an image's size can stay resident as a hole the next image
    does not fit, and the process then grows by an image (measured by `just bench`).
    """
    length = _content_length(response)
    if length is not None and 0 < length <= limit:
        body = memoryview(mmap.mmap(-1, length))
        filled = 0
        async for chunk in response.aiter_bytes():
            # httpx (h11) refuses a body longer or shorter than its Content-Length.
            body[filled : filled + len(chunk)] = chunk
            filled += len(chunk)
        return body, True
    chunks, size = [], 0
    async for chunk in response.aiter_bytes():
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            return b"".join(chunks)[:limit], False
    return b"".join(chunks), True


def _content_length(response: httpx.Response) -> int | None:
    if response.headers.get("content-encoding", "identity") != "identity":
        return None  # the announced length is the compressed one
    try:
        return int(response.headers["content-length"])
    except (KeyError, ValueError):
        return None
