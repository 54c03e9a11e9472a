"""The `prompt.*` family: the enhancer at work, and its output, which is the model's queue."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from easel.events._job import JobEvent
from easel.events._limits import MAX_PROMPT_CHARS


class PromptEnhancing(JobEvent):
    """Enhancer → job view: the enhancer has taken the job (sent beside the LLM call)."""

    subject_prefix: ClassVar[str] = "prompt.enhancing"
    publisher: ClassVar[str] = "enhancer"
    consumers: ClassVar[tuple[str, ...]] = ("projector (job view)",)
    event_type: Literal["prompt.enhancing"] = "prompt.enhancing"
    attempt: int = Field(ge=1, description="JetStream delivery count (2+ after a redelivery)")


class PromptEnhanced(JobEvent):
    """Enhancer → generator: the prompt to render; `enhanced` is False on fallback."""

    subject_prefix: ClassVar[str] = "prompt.enhanced"
    publisher: ClassVar[str] = "enhancer"
    consumers: ClassVar[tuple[str, ...]] = (
        "generator (durable generator-<model>)",
        "notifier (ordered consumer: queue positions)",
    )
    event_type: Literal["prompt.enhanced"] = "prompt.enhanced"
    prompt: str = Field(
        min_length=1, max_length=MAX_PROMPT_CHARS, description="enhanced, or the original"
    )
    enhanced: bool
    fallback_reason: str | None = Field(
        default=None,
        max_length=64,
        description="not_configured, timeout, http_<status>, network, unusable_answer",
    )
