"""Webhook mode: Telegram POSTs each update to WEBHOOK_URL + WEBHOOK_PATH, so any number
of replicas can serve behind one Service.

Telegram gets its answer only once the handler has finished (claimed and published, or
refused): a replica dying mid-request drops the connection and Telegram delivers the
update again, to whichever replica, where the job claim sorts it out.
"""

from __future__ import annotations

import asyncio

import structlog
from aiogram import Bot, Dispatcher
from aiogram.exceptions import TelegramAPIError
from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
from aiohttp import web

from easel_gateway.metrics import WEBHOOK_UNAUTHORIZED
from easel_gateway.settings import Settings
from easel_gateway.telegram.failure import GatewayFailed
from easel_gateway.telegram.middlewares import MessageContext
from easel_gateway.telegram.updates import DRAIN_SECONDS, check_bot, drain

log = structlog.get_logger("easel.gateway")


class _RequestHandler(SimpleRequestHandler):
    def verify_secret(self, telegram_secret_token: str, bot: Bot) -> bool:
        if super().verify_secret(telegram_secret_token, bot):
            return True
        WEBHOOK_UNAUTHORIZED.inc()
        log.warning("gateway.webhook_unauthorized")  # answered 401 by aiogram
        return False


class WebhookServer:
    def __init__(
        self, dispatcher: Dispatcher, bot: Bot, context: MessageContext, settings: Settings
    ) -> None:
        assert settings.webhook_secret is not None, "validated by Settings in webhook mode"
        self._dispatcher = dispatcher
        self._bot = bot
        self.context = context
        self._settings = settings
        self._secret = settings.webhook_secret.get_secret_value()
        self._serving = False

    async def readiness(self) -> str | None:
        return None if self._serving else "not serving the webhook"

    async def run(self, stop: asyncio.Event) -> None:
        me = await check_bot(self._bot, self._settings.admin_user_ids)
        app = web.Application()
        # handle_in_background=False: the answer waits for the handler (see module doc).
        _RequestHandler(
            self._dispatcher, self._bot, handle_in_background=False, secret_token=self._secret
        ).register(app, path=self._settings.webhook_path)
        setup_application(app, self._dispatcher, bot=self._bot)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=DRAIN_SECONDS)
        await runner.setup()
        site = web.TCPSite(runner, self._settings.webhook_host, self._settings.webhook_port)
        try:
            await site.start()  # listening before Telegram is told where to send
            await self._register()
            self._serving = True
            log.info("gateway.webhook_serving", bot=me.username, port=self._settings.webhook_port)
            await stop.wait()
            self._serving = False
            # New connections are refused from here; requests in flight finish first.
            await site.stop()
            await drain(self.context)
        finally:
            self._serving = False
            await runner.cleanup()  # also closes the bot session (SimpleRequestHandler.close)

    async def _register(self) -> None:
        """setWebhook from every replica at start: the same URL and secret, so repeating it
        changes nothing. Not undone at stop: the other replicas still serve that URL."""
        try:
            await self._bot.set_webhook(
                self._settings.webhook_endpoint,
                secret_token=self._secret,
                allowed_updates=self._dispatcher.resolve_used_update_types(),
                drop_pending_updates=False,
            )
        except TelegramAPIError as error:
            log.critical("gateway.webhook_refused", error=str(error))
            raise GatewayFailed(str(error)) from None
