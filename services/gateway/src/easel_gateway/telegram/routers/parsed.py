"""The filter every router uses: parse the text once per router, match on the command type."""

from __future__ import annotations

from typing import Any

from aiogram import Bot
from aiogram.filters import Filter
from aiogram.types import Message

from easel.settings import ModelRegistry
from easel_gateway.core.commands import Command, parse


class Parsed(Filter):
    """Passes messages whose text parses to `kind`, handing it to the handler as `command`."""

    def __init__(self, kind: type[Command]) -> None:
        self._kind = kind

    async def __call__(
        self, message: Message, bot: Bot, registry: ModelRegistry
    ) -> bool | dict[str, Any]:
        if not message.text:
            return False
        me = await bot.me()  # cached by aiogram after the first call
        command = parse(message.text, registry.names, me.username)
        return {"command": command} if isinstance(command, self._kind) else False
