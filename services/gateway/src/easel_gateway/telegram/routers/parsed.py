"""The filters routers use: a message's text (or a photo's caption) parsed once per router,
matched on the command type; a button press, matched on its action."""

from __future__ import annotations

from typing import Any

from aiogram import Bot
from aiogram.filters import Filter
from aiogram.types import CallbackQuery, Message

from easel.settings import ModelRegistry
from easel.telegram import Action, pressed
from easel_gateway.core.commands import Command, parse


class Parsed(Filter):
    """Passes messages whose text parses to `kind`, handing it to the handler as `command`."""

    def __init__(self, kind: type[Command]) -> None:
        self._kind = kind

    async def __call__(
        self, message: Message, bot: Bot, registry: ModelRegistry
    ) -> bool | dict[str, Any]:
        text = message.text or message.caption  # a photo sent with the command as caption
        if not text:
            return False
        me = await bot.me()  # cached by aiogram after the first call
        command = parse(text, registry.names, me.username)
        return {"command": command} if isinstance(command, self._kind) else False


class Pressed(Filter):
    """Passes presses of our buttons for one of `actions`, handing it over as `press`."""

    def __init__(self, *actions: Action) -> None:
        self._actions = frozenset(actions)

    async def __call__(self, query: CallbackQuery) -> bool | dict[str, Any]:
        press = pressed(query.data)
        return {"press": press} if press is not None and press.action in self._actions else False
