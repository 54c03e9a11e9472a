"""/language: the user picks the language the bot answers in, from buttons (each named in
its own language) or as `/language fa`; the choice is kept (`stores.languages`), the
answer comes in the new language at once, and so does the command menu of their private
chat with the bot."""

from __future__ import annotations

import nats.errors
import structlog
from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.types import (
    CallbackQuery,
    Chat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)

from easel.i18n import LANGUAGES, NAMES, Catalog, Texts
from easel_gateway.core.commands import LanguageRequest
from easel_gateway.settings import Settings
from easel_gateway.stores.languages import LanguageChoices
from easel_gateway.telegram.bot import reply, set_menu
from easel_gateway.telegram.routers.parsed import Parsed

log = structlog.get_logger("easel.gateway")
# A button's callback_data: "language:fa:<the asker's user id>", so that in a group only
# the one who asked changes the shared message (anyone else's press sets their own).
_DATA = "language:"


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


def keyboard(asker: int) -> InlineKeyboardMarkup:
    buttons = [
        InlineKeyboardButton(text=NAMES[language], callback_data=f"{_DATA}{language}:{asker}")
        for language in LANGUAGES
    ]
    return InlineKeyboardMarkup(inline_keyboard=[buttons[:2], buttons[2:]])


async def language_command(
    message: Message,
    command: LanguageRequest,
    t: Texts,
    catalog: Catalog,
    language_choices: LanguageChoices,
    bot: Bot,
    settings: Settings,
) -> None:
    if message.from_user is None:
        return
    choice = chosen(command.choice) if command.choice else None
    if choice is None:
        await reply(message, t("language-choose"), keyboard(message.from_user.id))
        return
    try:
        chosen_texts = await _choose(
            message.from_user.id, choice, message.chat, catalog, language_choices, bot, settings
        )
    except nats.errors.Error as error:
        log.error("gateway.bus_unavailable", error=repr(error))
        await reply(message, t("control-failed"))
        return
    await reply(message, chosen_texts("language-set"))


async def language_pressed(
    query: CallbackQuery,
    t: Texts,
    catalog: Catalog,
    language_choices: LanguageChoices,
    bot: Bot,
    settings: Settings,
) -> None:
    code, _, asker = (query.data or "").removeprefix(_DATA).partition(":")
    choice = chosen(code)
    answer = ""
    try:
        if choice is not None:
            chat = query.message.chat if query.message else None
            user = query.from_user.id
            chosen_texts = await _choose(
                user, choice, chat, catalog, language_choices, bot, settings
            )
            answer = chosen_texts("language-set")
            if isinstance(query.message, Message) and asker == str(query.from_user.id):
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


async def _choose(
    user_id: int,
    choice: str,
    chat: Chat | None,
    catalog: Catalog,
    language_choices: LanguageChoices,
    bot: Bot,
    settings: Settings,
) -> Texts:
    """Keep the user's choice; in their private chat, the command menu follows it (it
    outranks the menus by app language). The chosen language's texts."""
    await language_choices.choose(user_id, choice)
    chosen_texts = catalog.for_language(choice)
    if chat is not None and chat.type == "private":
        admin = user_id in settings.admin_user_ids
        await set_menu(bot, chosen_texts, admin=admin, chat_id=user_id)
    return chosen_texts
