"""HTTP to a model's image backend: one shared client per model, retries with backoff, every
attempt admitted by the model's circuit breaker; the backend's kind (`kinds/`) makes each
attempt."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

import httpx
import stamina

from easel.events import ErrorCode, Params
from easel.settings import ModelSpec
from easel_generator import kinds, metrics, verdicts
from easel_generator.circuit_breaker import Breaker, Slot

ATTEMPTS = 4  # the first one and 3 retries


@dataclass(frozen=True)
class Generated:
    data: verdicts.Body
    content_type: str
    attempts: int
    seed: int | None = None  # when the backend reports the one it used


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
        self._kind = kinds.for_spec(spec, self._client)

    @property
    def closed(self) -> bool:
        return self._client.is_closed

    async def __aexit__(self, *_: object) -> None:
        await self._client.aclose()

    async def generate(
        self,
        prompt: str,
        until: float | None = None,
        progress: Callable[[int], None] | None = None,
        params: Params | None = None,
        photo: kinds.Photo | None = None,
    ) -> Generated | Failed | Expired:
        """The image, or why not. Waits for the circuit between attempts, up to `until`
        (time.monotonic()), after which it gives up without another attempt. `progress`
        hears how far the render has come (0–100), where the backend says. Of `params`,
        only what the backend takes is sent (the front door dropped the rest already);
        `photo` is the picture `params.init_image` names, read by the caller."""
        attempts = 0
        taken = {k: v for k, v in (params or Params()).given().items() if k in self.spec.accepts}
        size = taken.pop("size", self.spec.size)
        if photo is None:
            taken.pop("strength", None)  # of a photo, and there is none
        render = kinds.Render(
            prompt,
            size=None if size is None else str(size),
            params=taken,
            photo=photo if "image" in self.spec.accepts else None,
        )
        if progress is not None:
            render = dataclasses.replace(render, progress=progress)
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
                        result = await self._attempt(render, slot)
        except _RetryLater as last:
            return Failed(verdicts.exhausted(last.verdict, attempts), attempts)
        if isinstance(result, verdicts.Failure):
            return Failed(result, attempts)
        return Generated(result.data, result.content_type, attempts, result.seed)

    async def _attempt(self, render: kinds.Render, slot: Slot) -> kinds.Rendered | verdicts.Failure:
        """One try: the image, a final failure, or _RetryLater."""
        model = self.spec.name
        try:
            answer = await self._kind.attempt(render)
        except httpx.RequestError as error:
            transient = verdicts.classify_error(error)
            kind = "timeout" if transient.code == ErrorCode.TIMEOUT else "network"
            metrics.BACKEND_RESPONSES.labels(model, kind).inc()
            await slot.record(ok=False)
            raise _RetryLater(transient) from None
        metrics.BACKEND_RESPONSES.labels(model, verdicts.status_class(answer.status)).inc()
        await slot.record(ok=not verdicts.backend_down(answer.verdict))
        match answer.verdict:
            case verdicts.Success():
                assert answer.image is not None, "a Success carries its image"
                return answer.image
            case verdicts.Retryable():
                raise _RetryLater(answer.verdict)
            case verdicts.Failure():
                return answer.verdict
