"""Long polling: updates arrive by getUpdates, which Telegram allows to one poller at a
time (a second one gets 409 Conflict). Every replica may run; the one holding the
polling lease polls, the others stand by, not ready, and take over when it goes."""

from __future__ import annotations

import asyncio
import contextlib

import nats.errors
import structlog
from aiogram import Bot, Dispatcher
from aiogram.exceptions import TelegramAPIError

from easel.runtime import every
from easel_gateway.metrics import POLLING_LEASE_HELD
from easel_gateway.telegram.lease import PollingLease
from easel_gateway.telegram.middlewares import MessageContext
from easel_gateway.telegram.updates import GatewayFailed, check_bot, drain

log = structlog.get_logger("easel.gateway")

_POLL_SECONDS = 25  # Telegram holds getUpdates open this long when there is nothing new
_MAX_CONCURRENT_UPDATES = 256  # bounds memory when a flood of updates arrives at once


class Poller:
    def __init__(
        self, dispatcher: Dispatcher, bot: Bot, context: MessageContext, lease: PollingLease
    ) -> None:
        self._dispatcher = dispatcher
        self._bot = bot
        self.context = context
        self.lease = lease
        self._task: asyncio.Task[None] | None = None
        self._standing_by = False

    async def readiness(self) -> str | None:
        if self._task is not None and not self._task.done():
            return None
        return "another gateway is polling" if self._standing_by else "not polling Telegram"

    async def run(self, stop: asyncio.Event) -> None:
        me = await check_bot(self._bot)
        while not stop.is_set():
            if await self._acquire(stop):
                log.info("gateway.polling_started", bot=me.username, holder=self.lease.holder)
                await self._poll_while_held(stop)
        await drain(self.context)

    async def _acquire(self, stop: asyncio.Event) -> bool:
        """Take the lease, or stand by until it is free; False if `stop` came first."""
        async for _ in every(self.lease.renew_every, stop):
            try:
                if await self.lease.try_acquire():
                    self._standing_by = False
                    return True
            except nats.errors.Error as error:
                log.warning("gateway.lease_unavailable", error=repr(error))
            if not self._standing_by:
                log.info("gateway.standing_by", reason="another gateway is polling")
                self._standing_by = True
        return False

    async def _poll_while_held(self, stop: asyncio.Event) -> None:
        """Poll until `stop` (then hand the lease on) or until the lease is lost."""
        POLLING_LEASE_HELD.set(1)
        await self._remove_webhook()
        self._task = asyncio.create_task(
            self._dispatcher.start_polling(
                self._bot,
                polling_timeout=_POLL_SECONDS,
                tasks_concurrency_limit=_MAX_CONCURRENT_UPDATES,
                handle_signals=False,  # the runtime owns SIGTERM/SIGINT and sets `stop`
                close_bot_session=False,  # handlers still running may need it
            )
        )
        lost = asyncio.create_task(self._keep_lease())
        stopped = asyncio.create_task(stop.wait())
        try:
            await asyncio.wait({self._task, lost, stopped}, return_when=asyncio.FIRST_COMPLETED)
            if self._task.done():
                # Polling only ends by itself on an unexpected failure.
                failure = self._task.exception()
                log.critical("gateway.polling_failed", error=repr(failure))
                raise GatewayFailed(repr(failure))
            await self._stop_polling()
            if lost.done():
                # Too long without renewing: another replica may hold the lease by now.
                log.error("gateway.lease_lost", holder=self.lease.holder)
            else:
                await drain(self.context)  # before the next holder sees these updates again
        finally:
            lost.cancel()
            stopped.cancel()
            POLLING_LEASE_HELD.set(0)
            await self.lease.release()

    async def _keep_lease(self) -> None:
        """Returns when the lease is lost."""
        while True:
            await asyncio.sleep(self.lease.renew_every)
            if not await self.lease.renew():
                return

    async def _remove_webhook(self) -> None:
        """getUpdates fails while a webhook is set: polling mode means polling."""
        try:
            info = await self._bot.get_webhook_info()
            if info.url:
                await self._bot.delete_webhook(drop_pending_updates=False)
                log.warning("gateway.webhook_removed", url=info.url)
        except TelegramAPIError as error:
            log.warning("gateway.webhook_check_failed", error=str(error))

    async def _stop_polling(self) -> None:
        assert self._task is not None
        try:
            await self._dispatcher.stop_polling()
        except RuntimeError:  # stop came before polling started: nothing to wind down
            self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
