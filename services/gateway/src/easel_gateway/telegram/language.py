"""Which language each update is answered in: the user's /language choice, else their
Telegram app's (`fa-IR` → `fa`), else English. Handlers and filters receive `t`, the
user's view of the catalog, and `language_code`, what the job's events carry to the
notifier."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import nats.errors
import structlog
from aiogram import BaseMiddleware
from aiogram.types import CallbackQuery, Message, TelegramObject

from easel.i18n import Catalog
from easel_gateway.stores.languages import LanguageChoices

log = structlog.get_logger("easel.gateway")
# A courtesy read: while NATS does not answer, the app's language does, and the update
# goes on to the handler's own (user-facing) handling of the outage.
CHOICE_WAIT_SECONDS = 1.0


class Language(BaseMiddleware):
    def __init__(self, catalog: Catalog, choices: LanguageChoices) -> None:
        self._catalog = catalog
        self._choices = choices

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user = event.from_user if isinstance(event, Message | CallbackQuery) else None
        code = user.language_code if user else None
        if user is not None:
            try:
                async with asyncio.timeout(CHOICE_WAIT_SECONDS):
                    code = await self._choices.of(user.id) or code
            except (nats.errors.Error, TimeoutError) as error:  # their app's, this once
                log.warning("gateway.language_unknown", error=repr(error))
        data["t"] = self._catalog.for_language(code)
        data["language_code"] = code
        return await handler(event, data)
