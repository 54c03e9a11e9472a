"""The Telegram edge: the three calls the notifier makes, and what each reply means.

`TelegramClient.execute` never raises: every aiogram error becomes a `CallResult` the
scheduler understands (429 → RetryAfter, "not modified" → Accepted, message gone → Gone,
network / 5xx → Transient, any other refusal → Rejected) and is counted by kind.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass

import structlog
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
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
from aiogram.types import InputFile
from pydantic import SecretStr

from . import metrics
from .scheduler import Accepted, CallResult, Gone, Rejected, RetryAfter, Transient


@dataclass(frozen=True)
class EditText:
    chat_id: int
    message_id: int
    text: str


@dataclass(frozen=True)
class SendPhoto:
    chat_id: int
    photo: bytes | memoryview
    filename: str
    caption: str


@dataclass(frozen=True)
class DeleteMessage:
    chat_id: int
    message_id: int


Request = EditText | SendPhoto | DeleteMessage


class _PhotoFile(InputFile):
    """The photo's bytes, uploaded in slices.

    Not aiogram's `BufferedInputFile`: it takes `bytes` only, and the memoryview that
    `Images.fetch` returns would have to be copied whole into one.
    """

    def __init__(self, data: bytes | memoryview, filename: str) -> None:
        super().__init__(filename=filename)
        self._data = data

    async def read(self, bot: Bot) -> AsyncGenerator[bytes, None]:
        view = memoryview(self._data)
        for start in range(0, len(view), self.chunk_size):
            yield view[start : start + self.chunk_size].tobytes()


log = structlog.get_logger("easel.notifier")

# Bad Request descriptions that mean the status message is no longer ours to change:
# deleted by the user, or too old to edit/delete. Giving up silently is right.
_GONE = (
    "message to edit not found",
    "message to delete not found",
    "message can't be edited",
    "message can't be deleted",
)


def create_bot(token: SecretStr, api_url: str, timeout: float) -> Bot:
    session = AiohttpSession(api=TelegramAPIServer.from_base(api_url), timeout=timeout)
    return Bot(token.get_secret_value(), session=session)


def method_name(request: Request) -> str:
    match request:
        case EditText():
            return "editMessageText"
        case SendPhoto():
            return "sendPhoto"
        case DeleteMessage():
            return "deleteMessage"


def classify(error: Exception) -> tuple[str, CallResult]:
    """The metric label and the scheduler's reading of one failed call."""
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


class TelegramClient:
    def __init__(self, bot: Bot) -> None:
        self._bot = bot

    async def execute(self, request: Request) -> CallResult:
        method = method_name(request)
        metrics.TELEGRAM_CALLS.labels(method).inc()
        try:
            await self._call(request)
        except Exception as error:  # every failure is a result to schedule, none escapes
            kind, result = classify(error)
            metrics.TELEGRAM_ERRORS.labels(method, kind).inc()
            if kind not in ("not_modified", "gone"):
                log.warning(
                    "notifier.telegram_error",
                    method=method,
                    chat_id=request.chat_id,
                    error=kind,
                    result=repr(result),
                )
            return result
        return Accepted()

    async def _call(self, request: Request) -> None:
        match request:
            case EditText(chat_id=chat_id, message_id=message_id, text=text):
                await self._bot.edit_message_text(text=text, chat_id=chat_id, message_id=message_id)
            case SendPhoto(chat_id=chat_id, photo=photo, filename=filename, caption=caption):
                file = _PhotoFile(photo, filename)
                await self._bot.send_photo(chat_id=chat_id, photo=file, caption=caption)
            case DeleteMessage(chat_id=chat_id, message_id=message_id):
                await self._bot.delete_message(chat_id=chat_id, message_id=message_id)
