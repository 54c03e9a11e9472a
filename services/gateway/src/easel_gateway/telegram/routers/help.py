"""/start, /help, /models, and a hint for commands we do not know."""

from __future__ import annotations

from aiogram import Router
from aiogram.types import Message

from easel.i18n import Texts
from easel.settings import ModelRegistry
from easel_gateway.core.commands import HelpRequest, UnknownCommand
from easel_gateway.settings import Settings
from easel_gateway.telegram import texts
from easel_gateway.telegram.bot import reply
from easel_gateway.telegram.routers.parsed import Parsed


def help_router() -> Router:
    router = Router(name="help")
    router.message.register(help_command, Parsed(HelpRequest))
    router.message.register(unknown_command, Parsed(UnknownCommand))
    return router


async def help_command(
    message: Message, command: HelpRequest, registry: ModelRegistry, settings: Settings, t: Texts
) -> None:
    limit, window = settings.rate_limit_requests, settings.rate_limit_window_seconds
    match command.topic:
        case "start":
            text = texts.start_text(t, registry, limit, window)
        case "help":
            text = texts.help_text(t, registry, limit, window)
        case "models":
            text = texts.models_text(t, registry)
    await reply(message, text)


async def unknown_command(message: Message, command: UnknownCommand, t: Texts) -> None:
    # In groups, an unaddressed /command is probably another bot's: stay quiet.
    if message.chat.type == "private" or command.addressed:
        await reply(message, texts.unknown_command(t, command.name))
