"""The Bot API stand-in and a real aiogram Bot against it, for the stand-ins' own tests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from aiogram import Bot

from easel_devtools.standins import BotApiStandin
from easel_devtools.testing.bots import CHAT, standin_bot


@pytest.fixture
def telegram() -> Iterator[BotApiStandin]:
    with BotApiStandin(chats=[CHAT]) as standin:
        yield standin
    assert standin.internal_errors == []


@pytest.fixture
async def bot(telegram: BotApiStandin) -> AsyncIterator[Bot]:
    bot = standin_bot(telegram.base_url)
    yield bot
    await bot.session.close()
