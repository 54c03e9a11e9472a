"""Webhooks: an API job's final view POSTed to the URL it named, signed with its key's
secret (`Easel-Signature: sha256=<HMAC of the body>`), through the durable `webhooks`
consumer: a failure is tried again with backoff, WEBHOOK_ATTEMPTS times in all, then
given up and counted. Loopback, link-local and private addresses are refused unless
WEBHOOK_ALLOW_PRIVATE is set; names are resolved and checked before each POST."""

from __future__ import annotations

import asyncio
import socket
from urllib.parse import urlsplit

import aiohttp
import structlog

from easel import bus, jobs
from easel.events import ApiRequester
from easel.jobs import JobStore
from easel.keys import ApiKeys
from easel_gateway.core.webhooks import private_address, private_host, retry_delay, signature
from easel_gateway.http.views import VIEW_LAG, job_view
from easel_gateway.metrics import WEBHOOKS

log = structlog.get_logger("easel.gateway")
_TIMEOUT = aiohttp.ClientTimeout(total=10)


class WebhookSender:
    def __init__(
        self,
        store: JobStore,
        keys: ApiKeys,
        session: aiohttp.ClientSession,
        *,
        allow_private: bool,
    ) -> None:
        self._store = store
        self._keys = keys
        self._session = session
        self._allow_private = allow_private

    async def __call__(self, event: jobs.Result, delivery: bus.Delivery) -> bus.Outcome:
        requester = event.job.requester
        if not isinstance(requester, ApiRequester) or requester.webhook_url is None:
            return bus.ACK
        url = requester.webhook_url
        host = urlsplit(url).hostname or ""
        with structlog.contextvars.bound_contextvars(job_id=event.job_id, webhook_host=host):
            key = await self._keys.named(requester.key_name)
            if key is None or not await self._allowed(host):
                WEBHOOKS.labels("refused").inc()
                log.warning("gateway.webhook_refused", revoked=key is None)
                return bus.ACK
            # The view may not have this ending yet: it is folded in, as the projector will.
            record = jobs.apply(await self._store.get(event.job_id, within=VIEW_LAG), event, 0)
            body = job_view(record, "").model_dump_json().encode()
            if await self._post(url, body, signature(key.secret, body)):
                WEBHOOKS.labels("delivered").inc()
                return bus.ACK
            if delivery.attempt >= bus.WEBHOOK_ATTEMPTS:
                WEBHOOKS.labels("failed").inc()
                log.warning("gateway.webhook_failed", attempts=delivery.attempt)
                return bus.ACK
            WEBHOOKS.labels("retried").inc()
            return bus.Nak(retry_delay(delivery.attempt))

    async def _post(self, url: str, body: bytes, signed: str) -> bool:
        headers = {"Content-Type": "application/json", "Easel-Signature": signed}
        try:
            async with self._session.post(
                url, data=body, headers=headers, timeout=_TIMEOUT, allow_redirects=False
            ) as answer:
                return 200 <= answer.status < 300
        except (aiohttp.ClientError, TimeoutError) as error:
            log.info("gateway.webhook_unreachable", error=type(error).__name__)
            return False

    async def _allowed(self, host: str) -> bool:
        if self._allow_private:
            return True
        if private_host(host):
            return False
        try:
            found = await asyncio.get_running_loop().getaddrinfo(
                host, None, type=socket.SOCK_STREAM
            )
        except OSError:
            return True  # unresolvable now: the POST fails and is tried again
        return not any(private_address(str(info[4][0])) for info in found)
