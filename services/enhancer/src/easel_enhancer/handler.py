"""One `image.requested` in, one `prompt.enhanced` out; enhancement never fails a job.

An enhanced prompt the operator's blocklist matches is dropped for the user's own, which
passed the gateway's check of the same list."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Protocol

import structlog

from easel import bus
from easel.controls import Blocklist
from easel.events import (
    ErrorCode,
    ImageFailed,
    ImageRequested,
    PromptEnhanced,
    PromptEnhancing,
)
from easel.jobs import Ending, Endings
from easel.settings import ModelRegistry
from easel_enhancer import core, metrics
from easel_enhancer.llm import LlmUnavailable

log = structlog.get_logger("easel.enhancer")

NOT_CONFIGURED = "not_configured"
UNUSABLE_ANSWER = "unusable_answer"
BLOCKED = "blocked"


class Llm(Protocol):
    """`easel_enhancer.llm.LlmClient`: the answer's text, or LlmUnavailable."""

    async def complete(self, prompt: str) -> str: ...


class Enhancer:
    def __init__(
        self,
        *,
        publish: bus.Publish,
        registry: ModelRegistry,
        llm: Llm | None,
        endings: Endings,
        deadline_seconds: float = 600.0,
        blocklist: Blocklist | None = None,
    ):
        self._publish = publish
        self._registry = registry
        self._endings = endings
        self._llm = llm
        self._deadline_seconds = deadline_seconds
        self._blocklist = blocklist or Blocklist()

    async def handle(self, event: ImageRequested, delivery: bus.Delivery) -> bus.Outcome:
        if self._registry.get(event.model) is None:
            # No generator consumes this model's queue: say so instead of waiting forever.
            log.warning("enhancer.unknown_model")
            detail = "this model is not configured"
            await self._publish(ImageFailed.for_job(event, ErrorCode.UNKNOWN_MODEL, detail))
            return bus.Term(bus.Reason.UNKNOWN_MODEL, detail)
        if datetime.now(UTC) >= event.job.deadline(self._deadline_seconds):
            # Not worth an LLM call: the generator would refuse it for the same reason.
            detail = f"not enhanced within {self._deadline_seconds:.0f} s of the request"
            await self._publish(ImageFailed.for_job(event, ErrorCode.TIMEOUT, detail))
            return bus.Term(bus.Reason.DEADLINE, detail)
        if await self._endings.of(event.job_id) is Ending.CANCELLED:
            log.info("enhancer.job_cancelled")  # no LLM call, and nothing to queue
            return bus.ACK
        original = event.job.original_prompt
        async with bus.publishing(
            self._publish, PromptEnhancing.after(event, attempt=delivery.attempt)
        ):
            prompt, fallback_reason = await self._enhance(original)
        if fallback_reason is None:
            metrics.ENHANCEMENTS.labels("enhanced").inc()
            log.info("enhancer.enhanced", chars_in=len(original), chars_out=len(prompt))
        else:
            metrics.ENHANCEMENTS.labels("fallback").inc()
            metrics.FALLBACKS.labels(fallback_reason).inc()
            log.warning("enhancer.fallback", reason=fallback_reason, attempt=delivery.attempt)
        enhanced = fallback_reason is None
        await self._publish(
            PromptEnhanced.after(
                event, prompt=prompt, enhanced=enhanced, fallback_reason=fallback_reason
            )
        )
        return bus.ACK

    async def give_up(self, event: ImageRequested, delivery: bus.Delivery) -> None:
        """The consume loop's hook once no delivery is left: the user hears it failed."""
        detail = f"processing failed on all {delivery.attempt} deliveries"
        await self._publish(ImageFailed.for_job(event, ErrorCode.INTERNAL, detail))

    async def _enhance(self, original: str) -> tuple[str, str | None]:
        """The prompt to render and, when it is the original, why."""
        if self._llm is None:
            return original, NOT_CONFIGURED
        started = time.perf_counter()
        try:
            answer = await self._llm.complete(original)
        except LlmUnavailable as error:
            return original, error.reason
        finally:
            metrics.LLM_DURATION.observe(time.perf_counter() - started)
        cleaned = core.clean(answer)
        if cleaned is None:
            return original, UNUSABLE_ANSWER
        if self._blocklist.blocks(cleaned):
            return original, BLOCKED
        return cleaned, None
