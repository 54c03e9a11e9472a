"""Live queue positions, and many chats at once against Telegram's flood limits."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiogram import Bot
from nats.aio.client import Client
from nats.js import JetStreamContext

from easel import bus
from easel.controls import ModelPauses
from easel.events import ErrorCode, ImageFailed, ImageGenerated, ImageStarted, PromptEnhanced
from easel.i18n import pause_note
from easel.natsserver import NatsServer
from easel_devtools.standins import BotApiStandin, png
from easel_devtools.testing import REGISTRY, Settlements, job
from easel_notifier import texts

EN = texts.texts_for("en")  # the test users write in English

QUEUE_CHATS = list(range(201, 206))
FLOOD_CHATS = list(range(301, 321))


@pytest.fixture
async def telegram() -> AsyncIterator[BotApiStandin]:
    async with BotApiStandin(chats=QUEUE_CHATS + FLOOD_CHATS) as standin:
        yield standin
    assert standin.internal_errors == []


def enhanced(job_id: str, chat_id: int, status_id: int) -> PromptEnhanced:
    return PromptEnhanced(
        job_id=job_id,
        model="flux",
        job=job("a cat", chat_id=chat_id, status_id=status_id),
        prompt="A ginger cat, oil painting",
        enhanced=True,
    )


def current_text(telegram: BotApiStandin, chat_id: int, message_id: int) -> str | None:
    return next(m.text for m in telegram.messages(chat_id) if m.message_id == message_id)


async def test_positions_are_live_and_count_down(
    nats_server: NatsServer,
    js: JetStreamContext,
    telegram: BotApiStandin,
    bot: Bot,
    notifier: Any,
    status_message: Any,
    settings: Any,
) -> None:
    await bus.provision(js, settings(), REGISTRY)
    statuses = [await status_message(chat) for chat in QUEUE_CHATS]
    jobs = [enhanced(f"tg_{c}_1", c, s) for c, s in zip(QUEUE_CHATS, statuses, strict=True)]

    def texts_now() -> list[str | None]:
        return [current_text(telegram, c, s) for c, s in zip(QUEUE_CHATS, statuses, strict=True)]

    # Two were waiting before the notifier started (replay), three arrive while it runs.
    for event in jobs[:2]:
        await bus.publish(js, event)
    async with notifier(queue_refresh_seconds=60):
        for event in jobs[2:]:
            await bus.publish(js, event)
        expected = [texts.queued(EN, "FLUX", place) for place in range(1, 6)]
        await telegram.wait_for_async(lambda: texts_now() == expected, timeout=15)

        # Act as the generator: take the first job and announce it.
        generator = await js.pull_subscribe_bind(
            durable=bus.generator_consumer("flux"), stream=bus.PROMPTS
        )
        [msg] = await generator.fetch(1, timeout=5)
        first = PromptEnhanced.model_validate_json(msg.data)
        assert first.job_id == jobs[0].job_id
        await msg.ack()
        await bus.publish(
            js, ImageStarted(job_id=first.job_id, model="flux", job=first.job, attempt=1)
        )
        expected = [texts.generating(EN, "FLUX")] + [
            texts.queued(EN, "FLUX", p) for p in range(1, 5)
        ]
        await telegram.wait_for_async(lambda: texts_now() == expected, timeout=15)

    # Coalescing: no message was ever edited to the text it already showed.
    for chat, status in zip(QUEUE_CHATS, statuses, strict=True):
        [message] = [m for m in telegram.messages(chat) if m.message_id == status]
        edits = [text for _, text in message.edits]
        assert all(a != b for a, b in itertools.pairwise(edits)), edits
    assert telegram.bad_request_log == []


async def test_waiting_users_see_a_pause_and_its_reason_until_the_model_resumes(
    js: JetStreamContext,
    telegram: BotApiStandin,
    notifier: Any,
    status_message: Any,
    settings: Any,
) -> None:
    await bus.provision(js, settings(), REGISTRY)
    chats = QUEUE_CHATS[:2]
    statuses = [await status_message(chat) for chat in chats]
    for chat, status in zip(chats, statuses, strict=True):
        await bus.publish(js, enhanced(f"tg_{chat}_1", chat, status))
    pauses = ModelPauses(js, await js.key_value(bus.CONTROLS_BUCKET))

    def texts_now() -> list[str | None]:
        return [current_text(telegram, c, s) for c, s in zip(chats, statuses, strict=True)]

    async with notifier(queue_refresh_seconds=60):
        running = [texts.queued(EN, "FLUX", place) for place in (1, 2)]
        await telegram.wait_for_async(lambda: texts_now() == running, timeout=15)
        pause = await pauses.pause("flux", "new GPU", "cli")
        note = pause_note(EN, "FLUX", pause)
        paused = [texts.queued(EN, "FLUX", place, None, note) for place in (1, 2)]
        await telegram.wait_for_async(lambda: texts_now() == paused, timeout=15)
        assert "FLUX is paused: new GPU. Your request keeps its place" in paused[0]
        await pauses.resume("flux")
        await telegram.wait_for_async(lambda: texts_now() == running, timeout=15)


async def test_one_of_two_replicas_edits_positions_and_the_other_takes_over(
    js: JetStreamContext,
    telegram: BotApiStandin,
    notifier: Any,
    status_message: Any,
    settings: Any,
) -> None:
    await bus.provision(js, settings(), REGISTRY)
    chats = QUEUE_CHATS[:3]
    statuses = [await status_message(chat) for chat in chats]
    jobs = [enhanced(f"tg_{c}_1", c, s) for c, s in zip(chats, statuses, strict=True)]

    def texts_now(n: int) -> list[str | None]:
        return [current_text(telegram, c, s) for c, s in zip(chats[:n], statuses[:n], strict=True)]

    first = notifier(queue_refresh_seconds=60)
    await first.__aenter__()
    try:
        await bus.publish(js, jobs[0])
        await telegram.wait_for_async(lambda: texts_now(1) == [texts.queued(EN, "FLUX", 1)])
        async with notifier(queue_refresh_seconds=60):  # a second replica, standing by
            await bus.publish(js, jobs[1])
            expected = [texts.queued(EN, "FLUX", place) for place in (1, 2)]
            await telegram.wait_for_async(lambda: texts_now(2) == expected)
            # Both replicas ran, one edited: no edit to a text the message already showed
            # (Telegram answers that with 400 "message is not modified").
            assert telegram.bad_request_log == []
            await first.__aexit__(None, None, None)  # the leader stops and hands the lease on
            first = None
            await bus.publish(js, jobs[2])
            expected = [texts.queued(EN, "FLUX", place) for place in (1, 2, 3)]
            await telegram.wait_for_async(lambda: texts_now(3) == expected, timeout=15)
    finally:
        if first is not None:
            await first.__aexit__(None, None, None)
    # The new leader knows nothing of what the old one showed: at most one repeat per job
    # that was waiting at the handover.
    assert len(telegram.bad_request_log) <= 2
    for chat, status in zip(chats, statuses, strict=True):
        [message] = [m for m in telegram.messages(chat) if m.message_id == status]
        edits = [text for _, text in message.edits]
        assert len(edits) == len(set(edits)), edits


async def test_twenty_chats_under_flood_limits_lose_nothing(
    nats_server: NatsServer,
    nc: Client,
    js: JetStreamContext,
    telegram: BotApiStandin,
    bot: Bot,
    store_image: Any,
    status_message: Any,
    acks: Any,
    notifier: Any,
) -> None:
    statuses = {chat: await status_message(chat) for chat in FLOOD_CHATS}
    images = {
        chat: await store_image(f"tg_{chat}_1.png", png(f"chat {chat}")) for chat in FLOOD_CHATS
    }
    # Pacing far above Telegram's limits, so the stand-in answers 429 and recovery is tested.
    async with notifier(
        telegram_max_calls_per_second=500,
        telegram_per_chat_interval_seconds=0.05,
    ):
        for chat, status in statuses.items():
            await bus.publish(js, enhanced(f"tg_{chat}_1", chat, status))
        for chat, status in statuses.items():
            context = job("a cat", chat_id=chat, status_id=status)
            await bus.publish(
                js, ImageStarted(job_id=f"tg_{chat}_1", model="flux", job=context, attempt=1)
            )
            await bus.publish(
                js,
                ImageGenerated(
                    job_id=f"tg_{chat}_1",
                    model="flux",
                    job=context,
                    prompt=f"A cat for chat {chat}",
                    image=images[chat],
                    queued_seconds=0.5,
                    generation_seconds=1.0,
                ),
            )
        settled = await acks.next(2 * len(FLOOD_CHATS), within=60)
        assert settled == [b"+ACK"] * (2 * len(FLOOD_CHATS))

    assert telegram.retry_after_count > 0
    for chat, status in statuses.items():
        [(photo, caption)] = telegram.photos(chat)
        assert photo == png(f"chat {chat}")
        expected = texts.caption(EN, "FLUX", f"A cat for chat {chat}", yours="a cat")
        assert caption == expected
        [message] = [m for m in telegram.messages(chat) if m.message_id == status]
        assert message.deleted
    assert telegram.bad_request_log == []


async def test_positions_and_results_survive_a_server_restart(
    nats_server: NatsServer,
    nc: Client,
    js: JetStreamContext,
    telegram: BotApiStandin,
    bot: Bot,
    notifier: Any,
    status_message: Any,
) -> None:
    chats = QUEUE_CHATS[:3]
    statuses = [await status_message(chat) for chat in chats]
    jobs = [enhanced(f"tg_{c}_2", c, s) for c, s in zip(chats, statuses, strict=True)]
    async with notifier():
        for event in jobs[:2]:
            await bus.publish(js, event)
        await telegram.wait_for_async(
            lambda: current_text(telegram, chats[1], statuses[1]) == texts.queued(EN, "FLUX", 2)
        )
        await asyncio.to_thread(nats_server.restart)  # file storage: streams survive
        await bus.publish(js, jobs[2])
        await telegram.wait_for_async(
            lambda: current_text(telegram, chats[2], statuses[2]) == texts.queued(EN, "FLUX", 3),
            timeout=20,
        )
        acks = await Settlements.watch(nc, bus.RESULTS, bus.NOTIFIER)
        failed = ImageFailed(
            job_id=jobs[0].job_id,
            model="flux",
            job=jobs[0].job,
            error_code=ErrorCode.TIMEOUT,
            retried=True,
            attempts=3,
        )
        await bus.publish(js, failed)
        assert await acks.next() == [b"+ACK"]
    assert current_text(telegram, chats[0], statuses[0]) == texts.failure(
        EN, "FLUX", ErrorCode.TIMEOUT
    )
