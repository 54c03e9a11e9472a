"""The photo a command starts from: the message's own (the command is its caption), or the
one it replies to; fetched with getFile, once."""

from __future__ import annotations

import io
from dataclasses import dataclass, replace

import aiohttp
from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import Message, PhotoSize

from easel_gateway.core.params import Photo
from easel_gateway.stores.photos import PhotoUnavailable

# What getFile lets a bot download; Telegram's photos are far smaller (10 MB at most).
DOWNLOAD_LIMIT = 20 * 1024 * 1024


@dataclass(frozen=True)
class TelegramPhoto:
    file_id: str
    shape: Photo


def photo_of(message: Message) -> TelegramPhoto | None:
    """The photo a command in `message` starts from, if any: its own, else the replied one's."""
    if message.photo:
        return largest(message.photo)
    replied = message.reply_to_message
    found = largest(replied.photo) if replied is not None and replied.photo else None
    return None if found is None else replace(found, shape=replace(found.shape, replied=True))


def largest(sizes: list[PhotoSize]) -> TelegramPhoto | None:
    """The largest size a bot may download (Telegram lists them smallest first)."""
    fitting = [s for s in sizes if (s.file_size or 0) <= DOWNLOAD_LIMIT]
    if not fitting:
        return None
    best = max(fitting, key=lambda s: s.width * s.height)
    return TelegramPhoto(best.file_id, Photo(best.width, best.height))


async def download(bot: Bot, file_id: str) -> bytes:
    """The photo's bytes; PhotoUnavailable (with the cause) when Telegram will not give it."""
    try:
        file = await bot.get_file(file_id)
        if file.file_path is None:  # Telegram gives a path for any file up to the limit
            raise PhotoUnavailable("getFile gave no file_path")
        buffer = io.BytesIO()
        await bot.download_file(file.file_path, buffer)
    except (TelegramAPIError, aiohttp.ClientError, TimeoutError) as error:
        raise PhotoUnavailable(repr(error)) from error
    return buffer.getvalue()
