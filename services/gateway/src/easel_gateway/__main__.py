"""easel-gateway: Telegram in, `image.requested.<model>` out."""

from __future__ import annotations

import os
import secrets
import socket

from easel import bus
from easel.runtime import Runtime, run
from easel_gateway.app import build_dispatcher
from easel_gateway.kv import JobClaims, RateLimiter
from easel_gateway.lease import PollingLease
from easel_gateway.polling import Poller
from easel_gateway.settings import Settings
from easel_gateway.telegram import build_bot
from easel_gateway.updates import GatewayFailed, UpdateSource
from easel_gateway.webhook import WebhookServer


async def serve(rt: Runtime[Settings]) -> None:
    source = await build(rt)
    rt.ready_checks.append(source.readiness)
    await source.run(rt.stop)


async def build(rt: Runtime[Settings]) -> UpdateSource:
    settings = rt.settings
    claims = JobClaims(
        await rt.js.key_value(bus.JOB_CLAIMS_BUCKET), stale_after=settings.claim_stale_seconds
    )
    limiter = RateLimiter(
        await rt.js.key_value(bus.RATE_LIMIT_BUCKET),
        limit=settings.rate_limit_requests,
        window=settings.rate_limit_window_seconds,
    )
    dispatcher, context = build_dispatcher(
        settings=settings, registry=rt.registry, js=rt.js, claims=claims, limiter=limiter
    )
    bot = build_bot(
        settings.telegram_bot_token,
        settings.telegram_api_url,
        settings.telegram_max_calls_per_second,
    )
    if settings.gateway_mode == "webhook":
        return WebhookServer(dispatcher, bot, context, settings)
    return Poller(dispatcher, bot, context, await polling_lease(rt, bot.id))


async def polling_lease(rt: Runtime[Settings], bot_id: int) -> PollingLease:
    kv = await rt.js.key_value(bus.GATEWAY_LEASE_BUCKET)
    # The term is the bucket's TTL, whatever created it, so every replica agrees on it.
    term = (await kv.status()).ttl or bus.GATEWAY_LEASE_SECONDS
    holder = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
    return PollingLease(kv, key=f"polling_{bot_id}", holder=holder, term=term)


def main() -> None:
    try:
        run("easel-gateway", Settings, serve)
    except GatewayFailed:
        raise SystemExit(1) from None  # already logged, with the reason


if __name__ == "__main__":
    main()
