"""Shared pieces of the notifier's integration tests: the service in-process, and events.

The notifier runs its real `serve()` against a real nats-server and the Bot API
stand-in. Settlement of the results consumer is observed on the wire: a core NATS
subscription on `$JS.ACK.EASEL_RESULTS.notifier.>` sees every ack / nak the consumer
sends, so tests await those instead of polling.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from nats.aio.client import Client
from nats.aio.subscription import Subscription
from nats.js import JetStreamContext

from easel import bus
from easel.events import JobContext, StoredImage, TelegramRequester
from easel.runtime import Runtime
from easel.settings import load_registry
from easel_notifier.__main__ import serve
from easel_notifier.settings import Settings
from standins import DEFAULT_TOKEN

REGISTRY = load_registry(
    {"FLUX_WORKER_URL": "http://127.0.0.1:9/flux", "SDXL_WORKER_URL": "http://127.0.0.1:9/sdxl"}
)


def settings(nats_url: str, api_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "nats_url": nats_url,
        "telegram_bot_token": DEFAULT_TOKEN,
        "telegram_api_url": api_url,
        "notifier_concurrency": 8,
        "log_format": "console",
    }
    return Settings(_env_file=None, **(values | overrides))  # type: ignore[call-arg]


@asynccontextmanager
async def running_notifier(
    nats_url: str, api_url: str, **overrides: Any
) -> AsyncIterator[Runtime[Settings]]:
    """The notifier's `serve()` in this loop, with its own NATS connection, as `run()` does."""
    config = settings(nats_url, api_url, **overrides)
    nc = await bus.connect(nats_url, "easel-notifier-test")
    js = nc.jetstream()
    await bus.provision(js, config, REGISTRY)
    runtime = Runtime(config, REGISTRY, nc, js, asyncio.Event())
    task = asyncio.create_task(serve(runtime))
    try:
        yield runtime
    finally:
        runtime.stop.set()
        await asyncio.wait_for(task, timeout=30)
        await nc.close()


def make_bot(api_url: str) -> Bot:
    return Bot(DEFAULT_TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(api_url)))


async def status_message(bot: Bot, chat_id: int, text: str = "✨ Enhancing your prompt…") -> int:
    """What the gateway does on accepting a request: a status message to edit later."""
    sent = await bot.send_message(chat_id, text)
    return sent.message_id


def job(prompt: str, chat_id: int | None = None, status_id: int | None = None) -> JobContext:
    requester = None
    if chat_id is not None and status_id is not None:
        requester = TelegramRequester(chat_id=chat_id, user_id=chat_id, status_message_id=status_id)
    return JobContext(original_prompt=prompt, requested_at=datetime.now(UTC), requester=requester)


async def store_image(js: JetStreamContext, name: str, data: bytes) -> StoredImage:
    """What the generator does: put the bytes in the Object Store, describe them."""
    store = await bus.images_store(js, settings("nats://unused", "http://unused"))
    await store.put(name, data)
    return StoredImage(
        bucket=bus.IMAGES_BUCKET,
        object_name=name,
        size=len(data),
        content_type="image/png",
        sha256=hashlib.sha256(data).hexdigest(),
    )


class Settlements:
    """The results consumer's acks and naks, as seen on the wire."""

    def __init__(self, sub: Subscription) -> None:
        self._sub = sub

    @classmethod
    async def watch(cls, nc: Client) -> Settlements:
        return cls(await nc.subscribe(f"$JS.ACK.{bus.RESULTS}.{bus.NOTIFIER}.>"))

    async def next(self, count: int = 1, within: float = 15.0) -> list[bytes]:
        """The next `count` settlements (in-progress pings skipped): b"+ACK", b"-NAK …"."""
        seen: list[bytes] = []
        async with asyncio.timeout(within):
            while len(seen) < count:
                msg = await self._sub.next_msg(timeout=None)
                if not msg.data.startswith(b"+WPI"):
                    seen.append(msg.data or b"+ACK")  # nats-py acks with an empty body
        return seen
