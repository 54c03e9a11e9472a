"""The notifier in-process against a real nats-server and the Bot API stand-in."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import pytest
from aiogram import Bot
from nats.aio.client import Client
from nats.js import JetStreamContext

from easel import bus
from easel.events import StoredImage
from easel.images import ImageWriter
from easel.runtime import Runtime
from easel.telegram import create_bot
from easel_devtools.standins import DEFAULT_TOKEN, BotApiStandin
from easel_devtools.testing import REGISTRY, Settlements
from easel_notifier.__main__ import serve
from easel_notifier.settings import Settings

Notifier = Callable[..., AbstractAsyncContextManager[Runtime[Settings]]]


@pytest.fixture
def settings(telegram: BotApiStandin) -> Callable[..., Settings]:
    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "telegram_bot_token": DEFAULT_TOKEN,
            "telegram_api_url": telegram.base_url,
            "notifier_concurrency": 8,
            "log_format": "console",
        }
        return Settings(**(values | overrides))

    return make


@pytest.fixture
def notifier(service: Any, settings: Callable[..., Settings]) -> Notifier:
    """`async with notifier(**overrides):` the notifier's `serve()`, as deployed."""

    def run(**overrides: Any) -> AbstractAsyncContextManager[Runtime[Settings]]:
        return service(serve, settings(**overrides), REGISTRY)  # type: ignore[no-any-return]

    return run


@pytest.fixture
async def bot(settings: Callable[..., Settings]) -> AsyncIterator[Bot]:
    """The bot as the gateway holds it, for what the gateway does before the notifier."""
    bot = create_bot(settings(), timeout=10)
    yield bot
    await bot.session.close()


@pytest.fixture
def status_message(bot: Bot) -> Callable[..., Awaitable[int]]:
    """What the gateway does on accepting a request: a status message to edit later."""

    async def send(chat_id: int, text: str = "✨ Enhancing your prompt…") -> int:
        return (await bot.send_message(chat_id, text)).message_id

    return send


@pytest.fixture
async def store_image(
    js: JetStreamContext, settings: Callable[..., Settings]
) -> Callable[[str, bytes], Awaitable[StoredImage]]:
    """What the generator does: put the bytes in the Object Store, describe them."""
    writer = ImageWriter(await bus.images_store(js, settings()))

    async def put(name: str, data: bytes) -> StoredImage:
        return await writer.put(name, data, "image/png", 0.0)

    return put


@pytest.fixture
async def acks(nc: Client) -> Settlements:
    """The results consumer's acks and naks, on the wire."""
    return await Settlements.watch(nc, bus.RESULTS, bus.NOTIFIER)
