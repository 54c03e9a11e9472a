"""A service's `serve()` in this event loop, wired as `easel.runtime.run` wires it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TypeVar

from easel import bus
from easel.runtime import Runtime
from easel.settings import EaselSettings, ModelRegistry

S = TypeVar("S", bound=EaselSettings)


@asynccontextmanager
async def serving(
    serve: Callable[[Runtime[S]], Awaitable[None]],
    settings: S,
    registry: ModelRegistry,
    nats_url: str,
    stop_within: float = 30.0,
) -> AsyncIterator[Runtime[S]]:
    """Runs `serve` on its own NATS connection (reconnecting, as in production) after
    provisioning, until the block ends; then stops it as SIGTERM would. A `serve` that
    failed meanwhile raises here."""
    nc = await bus.connect(nats_url, "easel-test-service")
    js = nc.jetstream()
    try:
        await bus.provision(js, settings, registry)
        runtime = Runtime(settings, registry, nc, js, asyncio.Event())
        task = asyncio.create_task(serve(runtime))
        try:
            yield runtime
        finally:
            runtime.stop.set()
            await asyncio.wait_for(task, timeout=stop_within)
    finally:
        await nc.close()
