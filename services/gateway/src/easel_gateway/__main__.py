"""easel-gateway: Telegram in, `image.requested.<model>` out."""

from __future__ import annotations

from easel import bus
from easel.runtime import Runtime, run
from easel_gateway.app import build_dispatcher
from easel_gateway.kv import JobClaims, RateLimiter
from easel_gateway.polling import Poller, PollingFailed
from easel_gateway.settings import Settings
from easel_gateway.telegram import build_bot


async def serve(rt: Runtime[Settings]) -> None:
    poller = await build(rt)
    rt.ready_checks.append(poller.readiness)
    await poller.run(rt.stop)


async def build(rt: Runtime[Settings]) -> Poller:
    settings = rt.settings
    claims = JobClaims(await rt.js.key_value(bus.JOB_CLAIMS_BUCKET))
    limiter = RateLimiter(
        await rt.js.key_value(bus.RATE_LIMIT_BUCKET),
        limit=settings.rate_limit_requests,
        window=settings.rate_limit_window_seconds,
    )
    dispatcher, context = build_dispatcher(
        settings=settings, registry=rt.registry, js=rt.js, claims=claims, limiter=limiter
    )
    bot = build_bot(settings.telegram_bot_token, settings.telegram_api_url)
    return Poller(dispatcher, bot, context)


def main() -> None:
    try:
        run("easel-gateway", Settings, serve)
    except PollingFailed:
        raise SystemExit(1) from None  # already logged, with the reason


if __name__ == "__main__":
    main()
