"""Easel's event contract: one frozen, versioned pydantic model per event.

Subjects are `<family>.<event>.<model>`; see docs/events.md for who publishes and
who consumes each one.
"""

from easel.events._envelope import SCHEMA_VERSION, Event, JobId, ModelName
from easel.events._job import JobContext, JobEvent, TelegramRequester
from easel.events._limits import MAX_PROMPT_CHARS
from easel.events.image import (
    ErrorCode,
    ImageFailed,
    ImageGenerated,
    ImageRequested,
    ImageStarted,
    StoredImage,
)
from easel.events.prompt import PromptEnhanced

ALL_EVENTS: tuple[type[Event], ...] = (
    ImageRequested,
    PromptEnhanced,
    ImageStarted,
    ImageGenerated,
    ImageFailed,
)

__all__ = [
    "ALL_EVENTS",
    "MAX_PROMPT_CHARS",
    "SCHEMA_VERSION",
    "ErrorCode",
    "Event",
    "ImageFailed",
    "ImageGenerated",
    "ImageRequested",
    "ImageStarted",
    "JobContext",
    "JobEvent",
    "JobId",
    "ModelName",
    "PromptEnhanced",
    "StoredImage",
    "TelegramRequester",
]
