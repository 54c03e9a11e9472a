"""One `image.requested` in, one `prompt.enhanced` out; enhancement never fails a job."""

from __future__ import annotations

import time

import structlog
from nats.js import JetStreamContext

from easel import bus
from easel.events import ErrorCode, ImageFailed, ImageRequested, PromptEnhanced
from easel.settings import ModelRegistry

from . import core, metrics
from .llm import LlmClient, LlmUnavailable

log = structlog.get_logger("easel_enhancer")

NOT_CONFIGURED = "not_configured"
UNUSABLE_ANSWER = "unusable_answer"


class Enhancer:
    def __init__(self, js: JetStreamContext, registry: ModelRegistry, llm: LlmClient | None):
        self._js = js
        self._registry = registry
        self._llm = llm

    async def handle(self, event: ImageRequested, delivery: bus.Delivery) -> bus.Outcome:
        if self._registry.get(event.model) is None:
            # No generator consumes this model's queue: say so instead of waiting forever.
            log.warning("enhancer.unknown_model")
            await bus.publish(self._js, _unknown_model(event))
            return bus.ACK
        original = event.job.original_prompt
        prompt, fallback_reason = await self._enhance(original)
        if fallback_reason is None:
            metrics.ENHANCEMENTS.labels("enhanced").inc()
            log.info("enhancer.enhanced", chars_in=len(original), chars_out=len(prompt))
        else:
            metrics.ENHANCEMENTS.labels("fallback").inc()
            metrics.FALLBACKS.labels(fallback_reason).inc()
            log.warning("enhancer.fallback", reason=fallback_reason, attempt=delivery.attempt)
        enhanced = PromptEnhanced(
            job_id=event.job_id,
            model=event.model,
            job=event.job,
            prompt=prompt,
            enhanced=fallback_reason is None,
            fallback_reason=fallback_reason,
        )
        await bus.publish(self._js, enhanced)
        return bus.ACK

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
        return cleaned, None


def _unknown_model(event: ImageRequested) -> ImageFailed:
    return ImageFailed(
        job_id=event.job_id,
        model=event.model,
        job=event.job,
        error_code=ErrorCode.UNKNOWN_MODEL,
        retried=False,
        attempts=0,
        detail="this model is not configured",
    )
