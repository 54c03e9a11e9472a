"""Composition root: the outbox, the results consumer and one queue watch per model."""

from __future__ import annotations

import asyncio
import contextlib

from easel import bus
from easel.runtime import Runtime, run

from .handler import ResultEvent, ResultHandler, decode_result
from .outbox import Outbox
from .queue_watch import QueueWatch
from .scheduler import Pacing
from .settings import Settings
from .storage import Images, Ledger
from .telegram import TelegramClient, create_bot


async def serve(rt: Runtime[Settings]) -> None:
    settings = rt.settings
    bot = create_bot(
        settings.telegram_bot_token, settings.telegram_api_url, settings.telegram_timeout_seconds
    )
    pacing = Pacing(
        max_calls_per_second=settings.telegram_max_calls_per_second,
        per_chat_interval=settings.telegram_per_chat_interval_seconds,
    )
    outbox = Outbox(TelegramClient(bot), pacing)
    images = Images(rt.js, await bus.images_store(rt.js, settings))
    ledger = Ledger(await rt.js.key_value(bus.DELIVERIES_BUCKET))
    handler = ResultHandler(
        outbox, images, ledger, rt.registry, images_in_memory=settings.notifier_images_in_memory
    )
    consumer: bus.ConsumerLoop[ResultEvent] = bus.ConsumerLoop(
        rt.js,
        stream=bus.RESULTS,
        durable=bus.NOTIFIER,
        decode=decode_result,
        handler=handler,
        workers=settings.notifier_concurrency,
        heartbeat=bus.NOTIFIER_ACK_WAIT / 3,
    )
    sender = asyncio.create_task(outbox.run(), name="outbox")
    background = [sender]

    async def outbox_alive() -> str | None:
        return "the Telegram outbox stopped" if sender.done() else None

    rt.ready_checks.append(outbox_alive)
    for spec in rt.registry.models:
        watch = QueueWatch(
            rt.nc,
            rt.js,
            outbox,
            model=spec.name,
            display_name=spec.display_name,
            refresh_seconds=settings.queue_refresh_seconds,
        )
        background.append(asyncio.create_task(watch.run(), name=f"queue-watch-{spec.name}"))
    try:
        # Handlers awaiting a delivery need the outbox: it stops only after the consumer.
        async with bus.max_deliveries_watch(rt.js, consumer):
            await consumer.run(rt.stop)
    finally:
        for task in background:
            task.cancel()
        for task in background:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await bot.session.close()


def main() -> None:
    run("easel-notifier", Settings, serve)


if __name__ == "__main__":
    main()
