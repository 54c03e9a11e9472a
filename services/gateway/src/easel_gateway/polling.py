"""Long polling: the way updates arrive while the gateway runs as exactly one replica
(Telegram answers a second getUpdates poller with 409 Conflict)."""

from __future__ import annotations

import asyncio
import contextlib

import structlog
from aiogram import Bot, Dispatcher
from aiogram.exceptions import TelegramAPIError

from easel_gateway.middlewares import MessageContext

log = structlog.get_logger("easel.gateway")

_POLL_SECONDS = 25  # Telegram holds getUpdates open this long when there is nothing new
_MAX_CONCURRENT_UPDATES = 256  # bounds memory when a flood of updates arrives at once
_DRAIN_SECONDS = 25.0  # on stop, messages being handled get this long to finish


class PollingFailed(RuntimeError):
    """Telegram cannot be polled (revoked token, API unreachable at start, a crash)."""


class Poller:
    def __init__(self, dispatcher: Dispatcher, bot: Bot, context: MessageContext) -> None:
        self._dispatcher = dispatcher
        self._bot = bot
        self.context = context
        self._task: asyncio.Task[None] | None = None

    async def readiness(self) -> str | None:
        if self._task is None or self._task.done():
            return "not polling Telegram"
        return None

    async def run(self, stop: asyncio.Event) -> None:
        """Poll until `stop` is set, then let handled messages finish and close the bot."""
        try:
            me = await self._bot.me()  # fails fast on a revoked token or an unreachable API
        except TelegramAPIError as error:
            await self._bot.session.close()
            log.critical("gateway.telegram_unavailable", error=str(error))
            raise PollingFailed(str(error)) from None
        log.info("gateway.polling_started", bot=me.username)
        self._task = asyncio.create_task(
            self._dispatcher.start_polling(
                self._bot,
                polling_timeout=_POLL_SECONDS,
                tasks_concurrency_limit=_MAX_CONCURRENT_UPDATES,
                handle_signals=False,  # the runtime owns SIGTERM/SIGINT and sets `stop`
                close_bot_session=False,  # handlers still running may need it
            )
        )
        stopped = asyncio.create_task(stop.wait())
        try:
            await asyncio.wait({self._task, stopped}, return_when=asyncio.FIRST_COMPLETED)
            if self._task.done():
                # Polling only ends by itself on an unexpected failure.
                failure = self._task.exception()
                log.critical("gateway.polling_failed", error=repr(failure))
                raise PollingFailed(repr(failure))
            await self._stop_polling()
            if late := await self.context.drain(_DRAIN_SECONDS):
                log.warning("gateway.drain_timeout", unfinished=late)
        finally:
            stopped.cancel()
            await self._bot.session.close()

    async def _stop_polling(self) -> None:
        assert self._task is not None
        try:
            await self._dispatcher.stop_polling()
        except RuntimeError:  # stop came before polling started: nothing to wind down
            self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
