"""The one bot factory: the Bot API server, a timeout per call, and request middlewares."""

from __future__ import annotations

from collections.abc import Iterable

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.middlewares.base import BaseRequestMiddleware
from aiogram.client.telegram import TelegramAPIServer

from easel.telegram._settings import TelegramSettings


def create_bot(
    settings: TelegramSettings,
    *,
    timeout: float,
    middlewares: Iterable[BaseRequestMiddleware] = (),
) -> Bot:
    """A bot on `TELEGRAM_API_URL`; each call waits at most `timeout` seconds (a long poll
    adds its own wait on top). Middlewares wrap every call, in the order given."""
    api = TelegramAPIServer.from_base(settings.telegram_api_url)
    session = AiohttpSession(api=api, timeout=timeout)
    for middleware in middlewares:
        session.middleware(middleware)
    return Bot(settings.telegram_bot_token.get_secret_value(), session=session)
