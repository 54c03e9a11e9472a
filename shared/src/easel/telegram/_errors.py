"""What a Bot API call's failure means, once for every caller.

aiogram raises one exception class per kind of refusal; Easel reads each as one of five
results: done after all, the message is gone, wait and retry, retry later, or refused for
good. The kind (a bounded string) labels metrics and log lines.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiogram.exceptions import (
    ClientDecodeError,
    TelegramAPIError,
    TelegramBadRequest,
    TelegramEntityTooLarge,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)


@dataclass(frozen=True)
class Accepted:
    """Telegram did it (for an edit, "message is not modified" counts as done)."""

    file_id: str | None = None  # of a photo sent: what sends it again


@dataclass(frozen=True)
class Gone:
    """The message to edit or delete no longer exists: the user deleted it."""


@dataclass(frozen=True)
class RetryAfter:
    """Flood control (429): the same call may go again after `seconds`."""

    seconds: float


@dataclass(frozen=True)
class Transient:
    """The network or Telegram's servers failed: worth another try after a pause."""

    reason: str


@dataclass(frozen=True)
class Rejected:
    """Refused for good (bot blocked, chat gone, bad photo): retrying cannot help."""

    reason: str


CallResult = Accepted | Gone | RetryAfter | Transient | Rejected

# Bad Request descriptions that mean the status message is no longer ours to change:
# deleted by the user, or too old to edit/delete. Giving up silently is right.
_GONE = (
    "message to edit not found",
    "message to delete not found",
    "message can't be edited",
    "message can't be deleted",
)


def classify(error: Exception) -> tuple[str, CallResult]:
    """The kind (retry_after, not_modified, gone, bad_request, forbidden, network, server,
    other) and the reading of one failed call."""
    match error:
        case TelegramRetryAfter(retry_after=seconds):
            return "retry_after", RetryAfter(float(seconds))
        case TelegramBadRequest(message=description):
            lowered = description.lower()
            if "message is not modified" in lowered:
                return "not_modified", Accepted()
            if any(phrase in lowered for phrase in _GONE):
                return "gone", Gone()
            return "bad_request", Rejected(description)
        case TelegramEntityTooLarge():  # a subclass of the network error, yet permanent
            return "bad_request", Rejected("file too large")
        case TelegramForbiddenError(message=description):
            return "forbidden", Rejected(description)
        case TelegramNetworkError():
            # The cause's type only: aiohttp messages can carry the request URL,
            # and the URL carries the bot token.
            return "network", Transient(type(error.__cause__ or error).__name__)
        case TelegramServerError(message=description):
            return "server", Transient(description)
        case ClientDecodeError():
            return "server", Transient("undecodable Bot API reply")
        case TelegramAPIError(message=description):
            return "other", Rejected(description)
        case _:
            return "other", Transient(type(error).__name__)
