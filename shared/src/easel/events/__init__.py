"""Easel's event contract: one frozen, versioned pydantic model per event.

Subjects are `<family>.<event>.<model>`; see docs/events.md for who publishes and
who consumes each one.
"""

from easel.events._envelope import SCHEMA_VERSION, Event, JobId, KeyName, ModelName
from easel.events._job import (
    MAX_NEGATIVE_CHARS,
    SEED_MAX,
    ApiRequester,
    JobContext,
    JobEvent,
    Params,
    Requester,
    TelegramRequester,
)
from easel.events._limits import MAX_PROMPT_CHARS
from easel.events._stored import StoredImage
from easel.events.image import (
    ErrorCode,
    ImageCancelled,
    ImageDelivered,
    ImageFailed,
    ImageGenerated,
    ImageProgress,
    ImageRequested,
    ImageStarted,
)
from easel.events.prompt import PromptEnhanced, PromptEnhancing

# In the order a job meets them; the endings last.
ALL_EVENTS: tuple[type[JobEvent], ...] = (
    ImageRequested,
    PromptEnhancing,
    PromptEnhanced,
    ImageStarted,
    ImageGenerated,
    ImageDelivered,
    ImageFailed,
    ImageCancelled,
)

# Not in the job view's history: how far a render has come, kept briefly (EASEL_PROGRESS).
EPHEMERAL_EVENTS: tuple[type[JobEvent], ...] = (ImageProgress,)

__all__ = [
    "ALL_EVENTS",
    "EPHEMERAL_EVENTS",
    "MAX_NEGATIVE_CHARS",
    "MAX_PROMPT_CHARS",
    "SCHEMA_VERSION",
    "SEED_MAX",
    "ApiRequester",
    "ErrorCode",
    "Event",
    "ImageCancelled",
    "ImageDelivered",
    "ImageFailed",
    "ImageGenerated",
    "ImageProgress",
    "ImageRequested",
    "ImageStarted",
    "JobContext",
    "JobEvent",
    "JobId",
    "KeyName",
    "ModelName",
    "Params",
    "PromptEnhanced",
    "PromptEnhancing",
    "Requester",
    "StoredImage",
    "TelegramRequester",
]
