"""Easel's event contract: one frozen, versioned pydantic model per event.

Subjects are `<family>.<event>.<model>`; see docs/events.md for who publishes and
who consumes each one.
"""

from ._envelope import SCHEMA_VERSION, Event
from ._job import JobContext, TelegramRequester
from .image import (
    ErrorCode,
    ImageFailed,
    ImageGenerated,
    ImageRequested,
    ImageStarted,
    StoredImage,
)
from .prompt import PromptEnhanced

ALL_EVENTS: tuple[type[Event], ...] = (
    ImageRequested,
    PromptEnhanced,
    ImageStarted,
    ImageGenerated,
    ImageFailed,
)

__all__ = [
    "ALL_EVENTS",
    "SCHEMA_VERSION",
    "ErrorCode",
    "Event",
    "ImageFailed",
    "ImageGenerated",
    "ImageRequested",
    "ImageStarted",
    "JobContext",
    "PromptEnhanced",
    "StoredImage",
    "TelegramRequester",
]
