"""HTTP to a model's image worker: one shared client per model, retries with backoff, every
attempt admitted by the model's circuit breaker."""

from __future__ import annotations

import contextlib
import mmap
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass

import httpx
import stamina

from easel.events import ErrorCode
from easel.settings import ModelSpec
from easel_generator import metrics, verdicts
from easel_generator.circuit_breaker import Breaker, Slot

ATTEMPTS = 4  # the first one and 3 retries
MAX_IMAGE_BYTES = 20 << 20
MAX_ERROR_BODY_BYTES = 64 << 10  # enough to spot a moderation message


@dataclass(frozen=True)
class Generated:
    data: verdicts.Body
    content_type: str
    attempts: int


@dataclass(frozen=True)
class Failed:
    failure: verdicts.Failure
    attempts: int


@dataclass(frozen=True)
class Expired:
    """The circuit stayed open until the job's deadline: no further attempt was made."""

    attempts: int


class _RetryLater(Exception):
    """Carries a Retryable verdict through stamina; its repr is what stamina logs."""

    def __init__(self, verdict: verdicts.Retryable) -> None:
        super().__init__(verdict.detail)
        self.verdict = verdict

    def __repr__(self) -> str:
        return f"RetryLater({self.verdict.detail!r})"


def _backoff(error: Exception) -> bool | float:
    """stamina's hook: retry only our verdicts, after Retry-After when the backend gave one."""
    if not isinstance(error, _RetryLater):
        return False
    hint = error.verdict.wait_hint
    return True if hint is None else hint


class Backend(contextlib.AbstractAsyncContextManager["Backend"]):
    def __init__(
        self,
        spec: ModelSpec,
        retry_base_seconds: float,
        breaker: Breaker | None = None,
        *,
        timeout_seconds: float = 120.0,
    ) -> None:
        self.spec = spec
        self._retry_base = retry_base_seconds
        # The settings' defaults; serve() passes the configured breaker.
        self.breaker = breaker or Breaker(spec.name, threshold=5, open_seconds=60.0)
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout_seconds, connect=min(30.0, timeout_seconds)),
            # Never fewer connections than the model's capacity, or jobs would queue
            # in the pool (and time out there) instead of in JetStream.
            limits=httpx.Limits(
                max_connections=max(10, spec.capacity), max_keepalive_connections=5
            ),
        )

    @property
    def closed(self) -> bool:
        return self._client.is_closed

    async def __aexit__(self, *_: object) -> None:
        await self._client.aclose()

    async def generate(
        self, prompt: str, until: float | None = None
    ) -> Generated | Failed | Expired:
        """The image, or why not. Waits for the circuit between attempts, up to `until`
        (time.monotonic()), after which it gives up without another attempt."""
        attempts = 0
        try:
            async for attempt in stamina.retry_context(
                on=_backoff,
                attempts=ATTEMPTS,
                timeout=None,  # the consume loop keeps the message's lease meanwhile
                wait_initial=self._retry_base,
                wait_exp_base=2,
                wait_max=verdicts.MAX_RETRY_AFTER_SECONDS,
                wait_jitter=self._retry_base / 4,
            ):
                with attempt:
                    async with self.breaker.slot(until) as slot:
                        if slot is None:
                            return Expired(attempts)
                        attempts = attempt.num
                        if attempts > 1:
                            metrics.BACKEND_RETRIES.labels(self.spec.name).inc()
                        result = await self._attempt(prompt, slot)
        except _RetryLater as last:
            return Failed(verdicts.exhausted(last.verdict, attempts), attempts)
        if isinstance(result, verdicts.Failure):
            return Failed(result, attempts)
        data, content_type = result
        return Generated(data, content_type, attempts)

    async def _attempt(
        self, prompt: str, slot: Slot
    ) -> tuple[verdicts.Body, str] | verdicts.Failure:
        """One request: the image and its type, a final failure, or _RetryLater."""
        model = self.spec.name
        try:
            async with self._request(prompt) as response:
                ok = response.is_success
                limit = MAX_IMAGE_BYTES if ok else MAX_ERROR_BODY_BYTES
                body, complete = await _read(response, limit)
        except httpx.RequestError as error:
            transient = verdicts.classify_error(error)
            kind = "timeout" if transient.code == ErrorCode.TIMEOUT else "network"
            metrics.BACKEND_RESPONSES.labels(model, kind).inc()
            await slot.record(ok=False)
            raise _RetryLater(transient) from None
        metrics.BACKEND_RESPONSES.labels(model, verdicts.status_class(response.status_code)).inc()
        if ok and not complete:
            await slot.record(ok=True)
            return verdicts.too_large(MAX_IMAGE_BYTES)
        verdict = verdicts.classify_response(
            response.status_code,
            response.headers.get("content-type"),
            response.headers.get("retry-after"),
            body,
        )
        await slot.record(ok=not verdicts.backend_down(verdict))
        match verdict:
            case verdicts.Success(content_type=content_type):
                return body, content_type
            case verdicts.Retryable():
                raise _RetryLater(verdict)
            case verdicts.Failure():
                return verdict

    def _request(self, prompt: str) -> AbstractAsyncContextManager[httpx.Response]:
        spec = self.spec
        if spec.backend == "get_query":
            # params= percent-encodes every character of the prompt (&, #, %, unicode …).
            return self._client.stream("GET", spec.url, params={"prompt": prompt})
        headers: dict[str, str] = {}
        if spec.api_key is not None:
            headers["Authorization"] = f"Bearer {spec.api_key.get_secret_value()}"
        return self._client.stream("POST", spec.url, json={"prompt": prompt}, headers=headers)


async def _read(response: httpx.Response, limit: int) -> tuple[verdicts.Body, bool]:
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
