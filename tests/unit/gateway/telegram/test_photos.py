"""The photo a command starts from: the message's own (the command as its caption), else the
one it replies to; of its sizes, the largest a bot may download."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from aiogram.exceptions import TelegramBadRequest
from aiogram.methods import GetFile
from aiogram.types import Chat, File, Message, PhotoSize

from easel_gateway.core.params import Photo
from easel_gateway.stores.photos import PhotoUnavailable
from easel_gateway.telegram.photos import (
    DOWNLOAD_LIMIT,
    TelegramPhoto,
    download,
    largest,
    photo_of,
)

CHAT = Chat(id=1, type="private")
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def size(file_id: str, width: int, height: int, file_size: int = 1000) -> PhotoSize:
    unique = f"u{file_id}"
    return PhotoSize(
        file_id=file_id, file_unique_id=unique, width=width, height=height, file_size=file_size
    )


def message(message_id: int, **fields: object) -> Message:
    return Message.model_validate({"message_id": message_id, "date": NOW, "chat": CHAT, **fields})


LADDER = [size("small", 90, 60), size("full", 1280, 853)]


def test_the_messages_own_photo_then_the_replied_ones() -> None:
    own = message(2, photo=LADDER, caption="/image a heron")
    assert photo_of(own) == TelegramPhoto("full", Photo(1280, 853))
    replied = message(3, text="/image a heron", reply_to_message=message(1, photo=LADDER))
    assert photo_of(replied) == TelegramPhoto("full", Photo(1280, 853, replied=True))
    assert photo_of(message(4, text="/image a heron")) is None
    assert photo_of(message(5, text="/image", reply_to_message=message(1, text="hi"))) is None


def test_a_size_over_what_a_bot_may_download_is_passed_over() -> None:
    huge = size("huge", 4000, 3000, DOWNLOAD_LIMIT + 1)
    assert largest([*LADDER, huge]) == TelegramPhoto("full", Photo(1280, 853))
    assert largest([huge]) is None


class _Bot:
    """What `download` asks of aiogram's Bot: getFile, then the file's bytes."""

    def __init__(self, path: str | None, refuse: bool = False) -> None:
        self.path, self.refuse = path, refuse

    async def get_file(self, file_id: str) -> File:
        if self.refuse:
            raise TelegramBadRequest(GetFile(file_id=file_id), "Bad Request: invalid file_id")
        return File(file_id=file_id, file_unique_id="u", file_path=self.path)

    async def download_file(self, path: str, destination: io.BytesIO) -> None:
        destination.write(b"\xff\xd8\xff photo")


async def test_a_photo_telegram_will_not_give_is_unavailable() -> None:
    assert await download(_Bot("photos/file_1.jpg"), "f") == b"\xff\xd8\xff photo"  # type: ignore[arg-type]
    with pytest.raises(PhotoUnavailable, match="invalid file_id"):
        await download(_Bot("photos/file_1.jpg", refuse=True), "f")  # type: ignore[arg-type]
    with pytest.raises(PhotoUnavailable, match="no file_path"):
        await download(_Bot(None), "f")  # type: ignore[arg-type]
