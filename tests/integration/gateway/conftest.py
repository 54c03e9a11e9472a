"""The gateway in-process against a real nats-server and the Bot API stand-in: its update
source as its composition root wires it, polling or serving the webhook."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import pytest
from nats.aio.client import Client
from nats.aio.subscription import Subscription
from nats.js import JetStreamContext
from pydantic import SecretStr

from easel import bus
from easel.runtime import Runtime
from easel_devtools.standins import DEFAULT_TOKEN, BotApiStandin
from easel_devtools.testing import REGISTRY
from easel_gateway.__main__ import build, serve
from easel_gateway.settings import Settings
from easel_gateway.telegram.updates import UpdateSource

Source = Callable[[Settings], AbstractAsyncContextManager[UpdateSource]]
Gateway = Callable[..., AbstractAsyncContextManager[None]]


@pytest.fixture
def telegram() -> Iterator[BotApiStandin]:
    # Flood limits are off here; the flood test turns them on for itself.
    with BotApiStandin(flood_limits=False) as standin:
        yield standin
    assert standin.internal_errors == []


@pytest.fixture
async def requested(nc: Client) -> AsyncIterator[Subscription]:
    """Every image.requested the gateway publishes."""
    sub = await nc.subscribe("image.requested.>")
    yield sub
    await sub.unsubscribe()


@pytest.fixture
def source(nc: Client, js: JetStreamContext) -> Source:
    """`async with source(settings) as updates:` the update source `build` wires, running
    until the block ends, then stopped as SIGTERM would."""

    @contextlib.asynccontextmanager
    async def run(settings: Settings) -> AsyncIterator[UpdateSource]:
        await bus.provision(js, settings, REGISTRY)
        stop = asyncio.Event()
        async with contextlib.AsyncExitStack() as stack:
            updates = await build(Runtime(settings, REGISTRY, nc, js, stop), stack)
            task = asyncio.create_task(updates.run(stop))
            try:
                yield updates
            finally:
                stop.set()
                await asyncio.wait_for(task, timeout=30)

    return run


@pytest.fixture
def gateway(service: Any, telegram: BotApiStandin) -> Gateway:
    """`async with gateway(**overrides):` the gateway's `serve()`, polling the stand-in."""

    @asynccontextmanager
    async def run(**overrides: Any) -> AsyncIterator[None]:
        config = Settings(
            telegram_bot_token=SecretStr(DEFAULT_TOKEN),
            telegram_api_url=telegram.base_url,
            **({"api_port": 0} | overrides),  # the HTTP API has tests of its own
        )
        async with service(serve, config, REGISTRY):
            await telegram.wait_for_async(lambda: telegram.calls["getUpdates"] > 0)
            yield

    return run
