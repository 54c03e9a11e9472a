"""What polling and webhook mode share: the interface the composition root runs, the
start-up check of the bot, and the failure that stops the process."""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from typing import Protocol

import structlog
from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import User

from easel.i18n import LANGUAGES
from easel_gateway.catalog import CATALOG
from easel_gateway.telegram.bot import set_menu
from easel_gateway.telegram.failure import GatewayFailed
from easel_gateway.telegram.middlewares import MessageContext

log = structlog.get_logger("easel.gateway")

DRAIN_SECONDS = 25.0  # on stop, messages being handled get this long to finish


class UpdateSource(Protocol):
    context: MessageContext

    async def readiness(self) -> str | None: ...

    async def run(self, stop: asyncio.Event) -> None:
        """Receive updates until `stop` is set, and let handled messages finish."""


async def check_bot(bot: Bot, admins: Collection[int] = ()) -> User:
    """Fail fast on a revoked token or an unreachable API, before anything is served; then
    give the bot its command list (Telegram's menu), the same from every replica. In each
    admin's private chat, the menu lists the admins' commands too."""
    try:
        me = await bot.me()
    except TelegramAPIError as error:
        log.critical("gateway.telegram_unavailable", error=str(error))
        raise GatewayFailed(str(error)) from None
    # The menu in each language Easel speaks (Telegram shows a user the one of their app's
    # language), English for everyone else.
    for language in (None, *LANGUAGES):
        t = CATALOG.for_language(language)
        await set_menu(bot, t, language_code=language)
        for user_id in sorted(admins):
            await set_menu(bot, t, admin=True, chat_id=user_id, language_code=language)
    return me


async def drain(context: MessageContext) -> None:
    if late := await context.drain(DRAIN_SECONDS):
        log.warning("gateway.drain_timeout", unfinished=late)
