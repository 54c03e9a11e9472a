"""/language: the user picks the language the bot answers in, from buttons (each named in
its own language) or as `/language fa`; the choice is kept (`stores.languages`) and the
answer comes in the new language at once."""

from __future__ import annotations

import nats.errors
import structlog
from aiogram import F, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from easel.i18n import LANGUAGES, NAMES, Catalog, Texts
from easel_gateway.core.commands import LanguageRequest
from easel_gateway.stores.languages import LanguageChoices
from easel_gateway.telegram.bot import reply
from easel_gateway.telegram.routers.parsed import Parsed

log = structlog.get_logger("easel.gateway")
_DATA = "language:"  # a button's callback_data: "language:fa"


def language_router() -> Router:
    router = Router(name="language")
    router.message.register(language_command, Parsed(LanguageRequest))
    router.callback_query.register(language_pressed, F.data.startswith(_DATA))
    return router


def chosen(text: str) -> str | None:
    """The language a `/language` argument names: its code or its own name."""
    wanted = text.strip().casefold()
    for language in LANGUAGES:
        if wanted in (language, NAMES[language].casefold()):
            return language
    return None


def keyboard() -> InlineKeyboardMarkup:
    buttons = [
        InlineKeyboardButton(text=NAMES[language], callback_data=f"{_DATA}{language}")
        for language in LANGUAGES
    ]
    return InlineKeyboardMarkup(inline_keyboard=[buttons[:2], buttons[2:]])


async def language_command(
    message: Message,
    command: LanguageRequest,
    t: Texts,
    catalog: Catalog,
    language_choices: LanguageChoices,
) -> None:
    choice = chosen(command.choice) if command.choice else None
    if choice is None or message.from_user is None:
        await reply(message, t("language-choose"), keyboard())
        return
    try:
        await language_choices.choose(message.from_user.id, choice)
    except nats.errors.Error as error:
        log.error("gateway.bus_unavailable", error=repr(error))
        await reply(message, t("control-failed"))
        return
    await reply(message, catalog.for_language(choice)("language-set"))


async def language_pressed(
    query: CallbackQuery, t: Texts, catalog: Catalog, language_choices: LanguageChoices
) -> None:
    choice = chosen((query.data or "").removeprefix(_DATA))
    answer = ""
    try:
        if choice is not None:
            await language_choices.choose(query.from_user.id, choice)
            answer = catalog.for_language(choice)("language-set")
            if isinstance(query.message, Message):
                await query.message.edit_text(answer)
    except nats.errors.Error as error:
        log.error("gateway.bus_unavailable", error=repr(error))
        answer = t("control-failed")
    except TelegramAPIError as error:  # the message is too old to edit: the answer says it
        log.warning("gateway.language_edit_failed", error=str(error))
    try:
        await query.answer(answer or None)
    except TelegramAPIError as error:
        log.warning("gateway.press_answer_failed", error=str(error))
