"""How a service's work lives and ends: loops that run until `stop`, tasks that run beside
them, and periodic rounds.

Every `serve()` has the same shape: what it holds (clients, background tasks, advisory
watches) is entered into one `AsyncExitStack`, torn down in reverse order; its loops run
under `until_stopped`, so one that fails stops the others and the process.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from typing import Any


async def until_stopped(
    stop: asyncio.Event, *loops: Callable[[asyncio.Event], Awaitable[None]]
) -> None:
    """Run each loop until `stop` is set. One that raises cancels the others, and its error
    propagates as itself: better a restart than a process that silently stopped serving."""
    try:
        async with asyncio.TaskGroup() as group:
            for loop in loops:
                group.create_task(_awaited(loop(stop)))
    except BaseExceptionGroup as failed:
        # The first failure is the cause; the others' cancellations followed from it.
        raise failed.exceptions[0] from None


@contextlib.asynccontextmanager
async def background(
    work: Coroutine[Any, Any, None], name: str
) -> AsyncIterator[asyncio.Task[None]]:
    """Run `work` beside the block; cancelled (and awaited) when the block ends."""
    task = asyncio.create_task(work, name=name)
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def every(seconds: float, stop: asyncio.Event) -> AsyncIterator[None]:
    """A round now, then one every `seconds` until `stop`; a stop ends the wait at once."""
    while not stop.is_set():
        yield
        # asyncio.timeout, not wait_for: 3.11's wait_for can swallow a cancellation.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await stop.wait()


async def _awaited(work: Awaitable[None]) -> None:
    await work
