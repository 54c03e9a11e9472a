"""An aiogram Bot that talks to a Bot API stand-in, as the services' bots do to Telegram."""

from __future__ import annotations

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from easel_devtools.standins import DEFAULT_TOKEN

CHAT = 4242  # a private chat that the stand-in of the `telegram` fixture knows from the start


def standin_bot(base_url: str, token: str = DEFAULT_TOKEN) -> Bot:
    """Close its session when done (`await bot.session.close()`)."""
    return Bot(token, session=AiohttpSession(api=TelegramAPIServer.from_base(base_url)))
