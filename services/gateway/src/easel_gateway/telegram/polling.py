"""Long polling: updates arrive by getUpdates, which Telegram allows to one poller at a
time (a second one gets 409 Conflict). Every replica may run; the one holding the
polling lease polls, the others stand by, not ready, and take over when it goes.

The loop is ours, not aiogram's `start_polling`: it confirms an update only once the
update has been handled (see `offsets`), so a killed gateway loses nothing."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Collection

import structlog
from aiogram import Bot, Dispatcher
from aiogram.exceptions import TelegramAPIError
from aiogram.methods import GetUpdates
from aiogram.types import Update
from aiogram.utils.backoff import Backoff, BackoffConfig

from easel.runtime import Lease, acquire, keep
from easel_gateway.metrics import POLLING_LEASE_HELD
from easel_gateway.telegram.failure import GatewayFailed
from easel_gateway.telegram.middlewares import MessageContext
from easel_gateway.telegram.offsets import Offsets
from easel_gateway.telegram.updates import check_bot, drain

log = structlog.get_logger("easel.gateway")

_POLL_SECONDS = 25  # Telegram holds getUpdates open this long when there is nothing new
_MAX_CONCURRENT_UPDATES = 256  # bounds memory when a flood of updates arrives at once
_RESEEN_PAUSE = 1.0  # a poll that brought only updates being handled waits for one to end
_BACKOFF = BackoffConfig(min_delay=1.0, max_delay=5.0, factor=1.3, jitter=0.1)  # aiogram's


class Poller:
    def __init__(
        self,
        dispatcher: Dispatcher,
        bot: Bot,
        context: MessageContext,
        lease: Lease,
        admins: Collection[int] = (),
    ) -> None:
        self._dispatcher = dispatcher
        self._admins = admins
        self._bot = bot
        self.context = context
        self.lease = lease
        self._task: asyncio.Task[None] | None = None
        self._standing_by = False
        self._handling: set[asyncio.Task[None]] = set()

    async def readiness(self) -> str | None:
        if self._task is not None and not self._task.done():
            return None
        return "another gateway is polling" if self._standing_by else "not polling Telegram"

    async def run(self, stop: asyncio.Event) -> None:
        me = await check_bot(self._bot, self._admins)
        while await acquire(self.lease, stop, self._stand_by):
            self._standing_by = False
            log.info("gateway.polling_started", bot=me.username, holder=self.lease.holder)
            await self._poll_while_held(stop)
        await drain(self.context)

    def _stand_by(self) -> None:
        if not self._standing_by:
            log.info("gateway.standing_by", reason="another gateway is polling")
            self._standing_by = True

    async def _poll_while_held(self, stop: asyncio.Event) -> None:
        """Poll until `stop` (then hand the lease on) or until the lease is lost."""
        POLLING_LEASE_HELD.set(1)
        await self._remove_webhook()
        offsets = Offsets()
        self._task = asyncio.create_task(self._poll(offsets))
        lost = asyncio.create_task(keep(self.lease))
        stopped = asyncio.create_task(stop.wait())
        try:
            await asyncio.wait({self._task, lost, stopped}, return_when=asyncio.FIRST_COMPLETED)
            if self._task.done():
                # Polling only ends by itself on an unexpected failure.
                failure = self._task.exception()
                log.critical("gateway.polling_failed", error=repr(failure))
                raise GatewayFailed(repr(failure))
            self._task.cancel()
            await asyncio.wait({self._task})  # not `await`: a cancel of this task propagates
            if lost.done():
                # Too long without renewing: another replica may hold the lease by now, and
                # one more poll would cut its poll short. It gets the unconfirmed updates.
                log.error("gateway.lease_lost", holder=self.lease.holder)
            else:
                await drain(self.context)  # before the next holder sees these updates again
                await self._confirm(offsets)
        finally:
            self._task.cancel()  # also when this is cancelled itself (a sibling failed)
            lost.cancel()
            stopped.cancel()
            POLLING_LEASE_HELD.set(0)
            await self.lease.release()

    async def _remove_webhook(self) -> None:
        """getUpdates fails while a webhook is set: polling mode means polling."""
        try:
            info = await self._bot.get_webhook_info()
            if info.url:
                await self._bot.delete_webhook(drop_pending_updates=False)
                log.warning("gateway.webhook_removed", url=info.url)
        except TelegramAPIError as error:
            log.warning("gateway.webhook_check_failed", error=str(error))

    async def _poll(self, offsets: Offsets) -> None:
        """getUpdates until cancelled; each new update is handled in a task of its own."""
        allowed = self._dispatcher.resolve_used_update_types()
        # The HTTP request must outlive the long poll it carries.
        request_timeout = int((self._bot.session.timeout or 60) + _POLL_SECONDS)
        backoff = Backoff(config=_BACKOFF)
        handled = asyncio.Event()
        while True:
            handled.clear()
            if offsets.running >= _MAX_CONCURRENT_UPDATES:
                await handled.wait()
                continue
            method = GetUpdates(
                offset=offsets.offset(time.monotonic()),
                timeout=_POLL_SECONDS,
                allowed_updates=allowed,
            )
            try:
                updates = await self._bot(method, request_timeout=request_timeout)
            except Exception as error:
                # Telegram's errors, the network's, and a page that is not JSON (a 502).
                log.warning("gateway.poll_failed", error=repr(error), retry_in=backoff.next_delay)
                await backoff.asleep()
                continue
            backoff.reset()
            now = time.monotonic()
            fresh = [update for update in updates if offsets.admit(update.update_id, now)]
            for update in fresh:
                task = asyncio.create_task(self._handle(update, offsets, handled))
                self._handling.add(task)
                task.add_done_callback(self._handling.discard)
            if updates and not fresh:
                # Telegram keeps answering with the updates still being handled: wait for
                # one to end rather than ask again at once.
                # asyncio.timeout, not wait_for: 3.11's wait_for can swallow the cancel
                # that stops polling when it lands as the wait ends.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(_RESEEN_PAUSE):
                        await handled.wait()

    async def _handle(self, update: Update, offsets: Offsets, handled: asyncio.Event) -> None:
        try:
            await self._dispatcher.feed_update(self._bot, update)
        except Exception:  # the middleware catches a message's failures; this is the rest
            log.exception("gateway.update_failed", update_id=update.update_id)
        finally:
            offsets.finish(update.update_id, time.monotonic())
            handled.set()

    async def _confirm(self, offsets: Offsets) -> None:
        """Tell Telegram which updates are handled, so the next holder does not redo them."""
        offset = offsets.offset(time.monotonic())
        if offset is None:
            return
        try:
            await self._bot(GetUpdates(offset=offset, timeout=0, limit=1))
        except Exception as error:
            log.warning("gateway.confirm_failed", error=repr(error))
