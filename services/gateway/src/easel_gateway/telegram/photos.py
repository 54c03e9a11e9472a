"""The photo a command starts from: the message's own (the command is its caption), or the
one it replies to; fetched with getFile, once."""

from __future__ import annotations

import io
from dataclasses import dataclass

from aiogram import Bot
from aiogram.types import Message, PhotoSize

from easel_gateway.core.params import Photo

# What getFile lets a bot download; Telegram's photos are far smaller (10 MB at most).
DOWNLOAD_LIMIT = 20 * 1024 * 1024


@dataclass(frozen=True)
class TelegramPhoto:
    file_id: str
    shape: Photo


def photo_of(message: Message) -> TelegramPhoto | None:
    """The photo a command in `message` starts from, if any: its own, else the replied one's."""
    sizes = message.photo or (message.reply_to_message.photo if message.reply_to_message else None)
    return largest(sizes) if sizes else None


def largest(sizes: list[PhotoSize]) -> TelegramPhoto | None:
    """The largest size a bot may download (Telegram lists them smallest first)."""
    fitting = [s for s in sizes if (s.file_size or 0) <= DOWNLOAD_LIMIT]
    if not fitting:
        return None
    best = max(fitting, key=lambda s: s.width * s.height)
    return TelegramPhoto(best.file_id, Photo(best.width, best.height))


async def download(bot: Bot, file_id: str) -> bytes:
    """The photo's bytes. TelegramAPIError or aiohttp's errors when Telegram will not."""
    file = await bot.get_file(file_id)
    if file.file_path is None:  # Telegram gives a path for any file up to the limit
        raise FileNotFoundError(file_id)
    buffer = io.BytesIO()
    await bot.download_file(file.file_path, buffer)
    return buffer.getvalue()
