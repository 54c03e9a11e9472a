"""easel-gateway: Telegram in, `image.requested.<model>` out.

Composition root: the KV stores, the aiogram dispatcher, the bot, and the way updates
arrive (polling under a lease, or a webhook); beside them, the job view's projector and
the HTTP API. With GATEWAY_MODE=api it serves the HTTP API alone, and the Telegram side
(aiogram: 127 MiB of a process's memory) is never imported.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import aiohttp

from easel import bus, jobs
from easel.controls import Blocklist, CircuitStates, ModelPauses, UserList
from easel.events import JobEvent
from easel.images import ImageReader, ImageWriter
from easel.jobs import (
    Endings,
    JobStore,
    Projector,
    Result,
    Results,
    ServiceTimes,
    decode_result,
)
from easel.keys import ApiKeys, static_keys
from easel.runtime import Runtime, lease, run, until_stopped
from easel.telegram import Budget
from easel_gateway.http import ApiServer
from easel_gateway.http.app import build_app
from easel_gateway.http.changes import JobChanges
from easel_gateway.http.images import Images
from easel_gateway.http.jobs import Jobs
from easel_gateway.http.webhooks import WebhookSender
from easel_gateway.settings import Settings
from easel_gateway.stores.active_jobs import ActiveJobs
from easel_gateway.stores.claims import JobClaims
from easel_gateway.stores.languages import LanguageChoices
from easel_gateway.stores.photos import PhotoStore
from easel_gateway.stores.rate_limits import RateLimiter
from easel_gateway.telegram.failure import GatewayFailed

if TYPE_CHECKING:
    from easel_gateway.telegram.updates import UpdateSource


async def serve(rt: Runtime[Settings]) -> None:
    async with contextlib.AsyncExitStack() as stack:
        shared = await limits(rt)
        projector = await projector_loop(rt, stack)
        loops: list[Callable[[asyncio.Event], Awaitable[None]]] = [projector.run]
        if rt.settings.gateway_mode != "api":
            source = await build(rt, stack, shared)
            rt.ready_checks.append(source.readiness)
            loops.append(source.run)
        if rt.settings.api_port:
            api, webhooks = await api_server(rt, stack, shared)
            rt.ready_checks.append(api.readiness)
            loops += [api.run, webhooks.run]
        await until_stopped(rt.stop, *loops)


@dataclass(frozen=True)
class Limits:
    """What both front doors hold a request to, the same for Telegram and HTTP: the
    blocklist, and the rate limit and fair share every replica keeps in KV."""

    blocklist: Blocklist
    limiter: RateLimiter
    active: ActiveJobs
    endings: Endings


async def limits(rt: Runtime[Settings]) -> Limits:
    settings = rt.settings
    endings = Endings(await rt.js.key_value(bus.ENDINGS_BUCKET))
    return Limits(
        blocklist=Blocklist.load(settings.blocklist_file),
        limiter=RateLimiter(
            await rt.js.key_value(bus.RATE_LIMIT_BUCKET),
            limit=settings.rate_limit_requests,
            window=settings.rate_limit_window_seconds,
        ),
        active=ActiveJobs(
            await rt.js.key_value(bus.ACTIVE_JOBS_BUCKET),
            endings,
            limit=settings.max_active_jobs_per_user,
            # A job with no ending this long after its request lost its events: past its
            # deadline it could only be failed, and the notifier would have claimed that.
            stale_after=2 * settings.job_deadline_seconds,
        ),
        endings=endings,
    )


async def api_server(
    rt: Runtime[Settings], stack: contextlib.AsyncExitStack, shared: Limits
) -> tuple[ApiServer, bus.ConsumerLoop[Result]]:
    """The HTTP front door and the sender of its jobs' webhooks."""
    settings = rt.settings
    images = Images(
        registry=rt.registry,
        blocklist=shared.blocklist,
        limiter=shared.limiter,
        active=shared.active,
        endings=shared.endings,
        publish=bus.publisher(rt.js, "gateway"),
        results=(results := Results(rt.nc)),
        reader=ImageReader(rt.js),
        wait_seconds=settings.api_sync_wait_seconds,
    )
    native = Jobs(
        images=images,
        store=JobStore(await rt.js.key_value(bus.JOBS_BUCKET)),
        js=rt.js,
        service_times=ServiceTimes(await rt.js.key_value(bus.SERVICE_TIMES_BUCKET)),
        idempotency=await rt.js.key_value(bus.IDEMPOTENCY_BUCKET),
        changes=(changes := JobChanges(rt.nc)),
        keepalive_seconds=settings.api_keepalive_seconds,
        allow_private=settings.webhook_allow_private,
    )
    static = static_keys(settings.api_keys.get_secret_value()) if settings.api_keys else {}
    keys = ApiKeys(await rt.js.key_value(bus.API_KEYS_BUCKET), static)
    app = build_app(images, native, keys)
    session = await stack.enter_async_context(aiohttp.ClientSession())
    sender = WebhookSender(
        native.store, keys, session, allow_private=settings.webhook_allow_private
    )
    webhooks: bus.ConsumerLoop[Result] = bus.ConsumerLoop(
        rt.js,
        stream=bus.RESULTS,
        durable=bus.WEBHOOKS,
        decode=decode_result,
        handler=sender,
        workers=16,
        heartbeat=bus.WEBHOOKS_ACK_WAIT / 3,
        # Poison on these subjects is the notifier's to dead-letter (it takes them all);
        # a second letter of the same message would replay it twice.
        letters=False,
    )
    server = ApiServer(app, results, changes, settings.api_host, settings.api_port)
    return server, webhooks


async def projector_loop(
    rt: Runtime[Settings], stack: contextlib.AsyncExitStack
) -> bus.ConsumerLoop[JobEvent]:
    """The one writer of the job view, on the durable every replica shares."""
    store = JobStore(await rt.js.key_value(bus.JOBS_BUCKET))
    loop = bus.ConsumerLoop(
        rt.js,
        stream=bus.HISTORY,
        durable=bus.PROJECTOR,
        decode=jobs.decode_job_event,
        handler=Projector(store).handle,
        workers=rt.settings.projector_concurrency,
        heartbeat=bus.PROJECTOR_ACK_WAIT / 3,
        letters=False,
    )
    await stack.enter_async_context(bus.max_deliveries_watch(rt.js, loop))
    return loop


async def build(
    rt: Runtime[Settings], stack: contextlib.AsyncExitStack, shared: Limits | None = None
) -> UpdateSource:
    """The update source wired as in production; its bot is closed when `stack` is."""
    # Here, not at the top: a gateway in GATEWAY_MODE=api never loads aiogram.
    from easel_gateway.telegram.bot import build_bot
    from easel_gateway.telegram.dispatcher import build_dispatcher
    from easel_gateway.telegram.polling import Poller
    from easel_gateway.telegram.webhook import WebhookServer

    settings = rt.settings
    shared = shared or await limits(rt)
    claims = JobClaims(
        await rt.js.key_value(bus.JOB_CLAIMS_BUCKET), stale_after=settings.claim_stale_seconds
    )
    controls = await rt.js.key_value(bus.CONTROLS_BUCKET)
    budget = Budget(rt.nc, settings.telegram_bot_id, settings.telegram_bot_calls_per_second)
    bot = build_bot(settings, budget)
    stack.push_async_callback(bot.session.close)
    dispatcher, context = build_dispatcher(
        settings=settings,
        registry=rt.registry,
        js=rt.js,
        publish=bus.publisher(rt.js, "gateway"),
        claims=claims,
        limiter=shared.limiter,
        active=shared.active,
        job_views=JobStore(await rt.js.key_value(bus.JOBS_BUCKET)),
        endings=shared.endings,
        service_times=ServiceTimes(await rt.js.key_value(bus.SERVICE_TIMES_BUCKET)),
        users=UserList(controls),
        pauses=ModelPauses(rt.js, controls),
        circuits=CircuitStates(controls),
        blocklist=shared.blocklist,
        photos=PhotoStore(ImageWriter(await bus.images_store(rt.js, settings))),
        language_choices=LanguageChoices(controls),
        bot=bot,
    )
    if settings.gateway_mode == "webhook":
        return WebhookServer(dispatcher, bot, context, settings)
    polling = await lease(rt.js, f"polling_{bot.id}")
    return Poller(dispatcher, bot, context, polling, settings.admin_user_ids)


def main() -> None:
    try:
        run("easel-gateway", Settings, serve)
    except GatewayFailed:
        raise SystemExit(1) from None  # already logged, with the reason


if __name__ == "__main__":
    main()
