"""Cross-cutting concerns for every incoming message: log context, metrics, the error
boundary, and the count of messages in flight so shutdown can let them finish."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from aiogram import BaseMiddleware
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.types import CallbackQuery, Chat, Message, TelegramObject, Update

from easel_gateway.metrics import UPDATE_SECONDS, UPDATES

log = structlog.get_logger("easel.gateway")

_CHAT_TYPES = frozenset({"private", "group", "supergroup", "channel"})
_PREVIEW_CHARS = 24


def preview(text: str | None) -> str:
    """What of a message may be logged: its command word and, in the `=` form, the model.

    "/image=flux=a cat" → "/image=flux"; the prompt never reaches the logs.
    """
    if not text or not text.startswith("/"):
        return ""
    head = "=".join(text.split(maxsplit=1)[0].split("=", 2)[:2])
    return head if len(head) <= _PREVIEW_CHARS else head[: _PREVIEW_CHARS - 1] + "…"


class MessageContext(BaseMiddleware):
    """Outer middleware on messages and button presses: runs before filters, for each."""

    def __init__(self) -> None:
        self._in_flight: set[asyncio.Task[Any]] = set()

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        chat: Chat | None
        if isinstance(event, Message):
            chat, command = event.chat, preview(event.text or event.caption)
        elif isinstance(event, CallbackQuery):
            # A press's data names an action and a job id: no prompt in it.
            chat, command = (
                getattr(event.message, "chat", None),
                (event.data or "")[:_PREVIEW_CHARS],
            )
        else:
            return await handler(event, data)
        update = data.get("event_update")
        chat_type = chat.type if chat is not None and chat.type in _CHAT_TYPES else "other"
        task = asyncio.current_task()
        assert task is not None  # aiogram runs each update in a task
        self._in_flight.add(task)
        started = time.perf_counter()
        outcome = "error"
        with structlog.contextvars.bound_contextvars(
            update_id=update.update_id if isinstance(update, Update) else None,
            chat_type=chat_type,
            command=command,
        ):
            try:
                result = await handler(event, data)
                outcome = "ignored" if result is UNHANDLED else "handled"
                return result
            except Exception:
                # The boundary: one message's failure is logged here and stops here.
                log.exception("gateway.update_failed")
                return None
            finally:
                UPDATES.labels(chat_type, outcome).inc()
                UPDATE_SECONDS.observe(time.perf_counter() - started)
                self._in_flight.discard(task)

    async def drain(self, grace: float) -> int:
        """Wait up to `grace` s for messages being handled; returns how many were left."""
        if not self._in_flight:
            return 0
        _, late = await asyncio.wait(set(self._in_flight), timeout=grace)
        return len(late)
