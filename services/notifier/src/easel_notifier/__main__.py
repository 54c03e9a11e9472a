"""easel-notifier: `image.*.<model>` in, status edits and photos out to Telegram.

Composition root: the outbox every Bot API call goes through, the results consumer (every
replica shares it), and one queue watch per model for the positions, run by the one
replica that holds the positions lease, so no two replicas edit the same status message.
"""

from __future__ import annotations

import asyncio
import contextlib

from easel import bus
from easel.controls import ModelPauses
from easel.events import ImageProgress
from easel.images import ImageReader
from easel.jobs import Endings, ServiceTimes
from easel.runtime import Runtime, background, lead, lease, run, until_stopped
from easel.telegram import Budget, create_bot
from easel_notifier.bot_calls import TelegramClient
from easel_notifier.handler import ResultEvent, ResultHandler, decode_result
from easel_notifier.ledger import Ledger
from easel_notifier.metrics import POSITIONS_LEADER
from easel_notifier.outbox import Outbox
from easel_notifier.progress import ProgressHandler, decode_progress
from easel_notifier.queue_watch import QueueWatch
from easel_notifier.scheduler import Pacing
from easel_notifier.settings import Settings


async def serve(rt: Runtime[Settings]) -> None:
    settings = rt.settings
    pacing = Pacing(
        max_calls_per_second=settings.telegram_max_calls_per_second,
        per_chat_interval=settings.telegram_per_chat_interval_seconds,
    )
    images = ImageReader(rt.js)
    service_times = ServiceTimes(await rt.js.key_value(bus.SERVICE_TIMES_BUCKET))
    ledger = Ledger(await rt.js.key_value(bus.DELIVERIES_BUCKET))
    pauses = ModelPauses(rt.js, await rt.js.key_value(bus.CONTROLS_BUCKET))
    async with contextlib.AsyncExitStack() as stack:
        bot = create_bot(settings, timeout=settings.telegram_timeout_seconds)
        stack.push_async_callback(bot.session.close)
        budget = Budget(rt.nc, settings.telegram_bot_id, settings.telegram_bot_calls_per_second)
        outbox = Outbox(TelegramClient(bot), pacing, budget)
        # Handlers awaiting a delivery need the outbox: it stops only after the consumer.
        sender = await stack.enter_async_context(background(outbox.run(), "outbox"))

        async def outbox_alive() -> str | None:
            return "the Telegram outbox stopped" if sender.done() else None

        rt.ready_checks.append(outbox_alive)
        watches = [
            QueueWatch(
                rt.nc,
                rt.js,
                outbox,
                spec=spec,
                service_times=service_times,
                pauses=pauses,
                refresh_seconds=settings.queue_refresh_seconds,
            )
            for spec in rt.registry.models
        ]

        async def edit_positions() -> None:
            POSITIONS_LEADER.set(1)
            try:
                await asyncio.gather(*(watch.run() for watch in watches))
            finally:
                POSITIONS_LEADER.set(0)

        positions = await lease(rt.js, "positions")
        handler = ResultHandler(
            outbox,
            images,
            ledger,
            rt.registry,
            endings=(handler_endings := Endings(await rt.js.key_value(bus.ENDINGS_BUCKET))),
            service_times=service_times,
            publish=bus.publisher(rt.js, "notifier"),
            images_in_memory=settings.notifier_images_in_memory,
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
        await stack.enter_async_context(bus.max_deliveries_watch(rt.js, consumer))
        progress: bus.ConsumerLoop[ImageProgress] = bus.ConsumerLoop(
            rt.js,
            stream=bus.PROGRESS,
            durable=bus.NOTIFIER_PROGRESS,
            decode=decode_progress,
            handler=ProgressHandler(outbox, rt.registry, handler_endings),
            workers=4,
            heartbeat=bus.NOTIFIER_PROGRESS_ACK_WAIT / 3,
            letters=False,  # ephemeral: a bad one is replaced by the next
        )
        await until_stopped(
            rt.stop,
            consumer.run,
            progress.run,
            lambda stop: lead(positions, stop, edit_positions),
        )


def main() -> None:
    run("easel-notifier", Settings, serve)


if __name__ == "__main__":
    main()
