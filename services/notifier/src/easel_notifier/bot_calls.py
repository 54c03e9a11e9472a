"""The Telegram edge: the three Bot API calls the notifier makes.

`TelegramClient.execute` never raises: every failure becomes the `CallResult` that
`easel.telegram.classify` reads in it (429 → RetryAfter, "not modified" → Accepted, message
gone → Gone, network / 5xx → Transient, any other refusal → Rejected), counted by kind.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass

import structlog
from aiogram import Bot
from aiogram.types import InputFile

from easel.telegram import Accepted, CallResult, cancel_keyboard, classify, result_keyboard
from easel_notifier import metrics


@dataclass(frozen=True)
class EditText:
    chat_id: int
    message_id: int
    text: str
    cancel: tuple[str, str] | None = None  # the job whose "✖ Cancel" it carries, its label


@dataclass(frozen=True)
class SendPhoto:
    chat_id: int
    photo: bytes | memoryview
    filename: str
    caption: str
    # The job whose "🔁 Again" (and "🎲 Variation") it carries, and their labels.
    job: str | None = None
    again: str = ""
    variation: str | None = None


@dataclass(frozen=True)
class DeleteMessage:
    chat_id: int
    message_id: int


Request = EditText | SendPhoto | DeleteMessage


class _PhotoFile(InputFile):
    """The photo's bytes, uploaded in slices.

    Not aiogram's `BufferedInputFile`: it takes `bytes` only, and the memoryview that
    `ImageReader.fetch` returns would have to be copied whole into one.
    """

    def __init__(self, data: bytes | memoryview, filename: str) -> None:
        super().__init__(filename=filename)
        self._data = data

    async def read(self, bot: Bot) -> AsyncGenerator[bytes, None]:
        view = memoryview(self._data)
        for start in range(0, len(view), self.chunk_size):
            yield view[start : start + self.chunk_size].tobytes()


log = structlog.get_logger("easel.notifier")


def method_name(request: Request) -> str:
    match request:
        case EditText():
            return "editMessageText"
        case SendPhoto():
            return "sendPhoto"
        case DeleteMessage():
            return "deleteMessage"


class TelegramClient:
    def __init__(self, bot: Bot) -> None:
        self._bot = bot

    async def execute(self, request: Request) -> CallResult:
        method = method_name(request)
        metrics.TELEGRAM_CALLS.labels(method).inc()
        try:
            file_id = await self._call(request)
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
        return Accepted(file_id)

    async def _call(self, request: Request) -> str | None:
        """Make the call; a photo's file_id (its largest size) is what it returns."""
        match request:
            case EditText(chat_id=chat_id, message_id=message_id, text=text, cancel=cancel):
                # Without reply_markup, an edit removes the message's buttons.
                markup = cancel_keyboard(*cancel) if cancel else None
                await self._bot.edit_message_text(
                    text=text, chat_id=chat_id, message_id=message_id, reply_markup=markup
                )
            case SendPhoto(chat_id=chat_id, photo=photo, filename=filename, caption=caption):
                file = _PhotoFile(photo, filename)
                buttons = None
                if request.job is not None:
                    buttons = result_keyboard(request.job, request.again, request.variation)
                sent = await self._bot.send_photo(
                    chat_id=chat_id, photo=file, caption=caption, reply_markup=buttons
                )
                return sent.photo[-1].file_id if sent.photo else None
            case DeleteMessage(chat_id=chat_id, message_id=message_id):
                await self._bot.delete_message(chat_id=chat_id, message_id=message_id)
        return None
