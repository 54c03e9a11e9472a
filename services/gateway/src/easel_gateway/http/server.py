"""Serves the API on API_PORT until stopped; requests in flight finish first."""

from __future__ import annotations

import asyncio

import structlog
from aiohttp import web

from easel import jobs
from easel_gateway.http.changes import JobChanges

log = structlog.get_logger("easel.gateway")


class ApiServer:
    def __init__(
        self,
        app: web.Application,
        results: jobs.Results,
        changes: JobChanges,
        host: str,
        port: int,
    ) -> None:
        self._app = app
        self._results = results
        self._changes = changes
        self._host = host
        self._port = port
        self._serving = False

    async def readiness(self) -> str | None:
        return None if self._serving else "not serving the HTTP API"

    async def run(self, stop: asyncio.Event) -> None:
        # handler_cancellation: a client that disconnects cancels its handler, and with it
        # its jobs (images.py); aiohttp otherwise lets the handler run on.
        runner = web.AppRunner(self._app, handler_cancellation=True, access_log=None)
        await runner.setup()
        await self._results.start()
        await self._changes.start()
        try:
            site = web.TCPSite(runner, self._host, self._port)
            await site.start()
            self._serving = True
            log.info("gateway.api_serving", port=self._port)
            await stop.wait()
            self._serving = False
            await site.stop()
        finally:
            self._serving = False
            await runner.cleanup()
            await self._changes.stop()
            await self._results.stop()
