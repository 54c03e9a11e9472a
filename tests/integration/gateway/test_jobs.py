"""The user's control over their jobs, through the gateway as deployed (its `serve()`: the
update source and the job view's projector) and the Bot API stand-in: the "✖ Cancel"
button, /cancel, /status, /history with "send it again", the fair share, the command list."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

import pytest
from aiogram import Bot
from aiogram.types import BufferedInputFile
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.errors import KeyNotFoundError

from easel import bus
from easel.events import (
    ImageCancelled,
    ImageDelivered,
    ImageGenerated,
    ImageRequested,
    PromptEnhanced,
    StoredImage,
)
from easel.jobs import JobRecord, JobState, JobStore, ServiceTimes
from easel.telegram import create_bot
from easel_devtools.standins import DEFAULT_TOKEN, BotApiStandin, ChatMessage, png
from easel_devtools.testing import Collector
from easel_gateway.catalog import CATALOG, ENGLISH
from easel_gateway.settings import Settings
from easel_gateway.telegram import texts

STATUS = "🎨 Enhancing prompt…"
Gateway = Callable[..., AbstractAsyncContextManager[None]]  # the conftest's `gateway`


@pytest.fixture
async def store(js: JetStreamContext) -> JobStore:
    return JobStore(await js.key_value(bus.JOBS_BUCKET))


async def status_of(telegram: BotApiStandin, chat: int, user: int, text: str) -> ChatMessage:
    """A user's image command, answered by its status message."""
    update = telegram.send_user_message(chat, text, user_id=user)
    await telegram.wait_for_async(
        lambda: any(
            m.from_bot and m.text == STATUS and m.message_id > update.message_id
            for m in telegram.messages(chat)
        )
    )
    return next(
        m
        for m in telegram.messages(chat)
        if m.from_bot and m.text == STATUS and m.message_id > update.message_id
    )


async def recorded(
    js: JetStreamContext, job_id: str, state: JobState | None = None, within: float = 10.0
) -> JobRecord:
    """The job's record in the view, once it has `state` (any, if None): watched."""
    kv = await js.key_value(bus.JOBS_BUCKET)
    watcher = await kv.watch(f"job.{job_id}")
    try:
        async with asyncio.timeout(within):
            async for entry in watcher:
                if entry is None or not entry.value:
                    continue
                record = JobRecord.model_validate_json(entry.value)
                if state is None or record.state is state:
                    return record
    finally:
        await watcher.stop()
    raise AssertionError(f"{job_id} never reached {state}")


async def answered(telegram: BotApiStandin, press_id: str) -> str | None:
    await telegram.wait_for_async(lambda: bool(telegram.callback_answers(press_id)))
    [answer] = telegram.callback_answers(press_id)
    return answer.text


def job_of(status: ChatMessage) -> str:
    [(label, data)] = status.buttons
    assert label == "✖ Cancel"
    assert data is not None
    return data.removeprefix("cancel:")


async def test_a_waiting_job_is_cancelled_by_its_owner_once_however_often_pressed(
    gateway: Gateway, telegram: BotApiStandin, js: JetStreamContext, nc: Client
) -> None:
    cancels = await Collector.watch(nc, "image.cancelled.>")
    async with gateway():
        status = await status_of(telegram, 501, 501, "/image=flux=a cat")
        job = job_of(status)
        await recorded(js, job)
        first = telegram.press_button(501, status.message_id, f"cancel:{job}")
        assert await answered(telegram, first.callback_query_id) == ENGLISH("cancelled")
        await cancels.wait_count(1)
        record = await recorded(js, job, JobState.CANCELLED)
        second = telegram.press_button(501, status.message_id, f"cancel:{job}")
        assert await answered(telegram, second.callback_query_id) == texts.ended(
            ENGLISH, JobState.CANCELLED
        )
    [seen] = cancels.seen
    assert ImageCancelled.model_validate_json(seen.data).job_id == job
    assert record.owner.user == "501"
    endings = await js.key_value(bus.ENDINGS_BUCKET)
    assert (await endings.get(job)).value == b"cancelled"
    assert telegram.unanswered_presses() == []


async def test_another_members_press_in_a_group_changes_nothing(
    gateway: Gateway, telegram: BotApiStandin, js: JetStreamContext, nc: Client
) -> None:
    group = -1001234567890
    cancels = await Collector.watch(nc, "image.cancelled.>")
    async with gateway():
        status = await status_of(telegram, group, 601, "/image=flux=a fox")
        job = job_of(status)
        await recorded(js, job)
        telegram.send_user_message(group, "hello", user_id=602)  # the stand-in learns 602
        press = telegram.press_button(group, status.message_id, f"cancel:{job}", user_id=602)
        assert await answered(telegram, press.callback_query_id) == ENGLISH("not-yours")
        [answer] = telegram.callback_answers(press.callback_query_id)
        assert answer.show_alert
    assert cancels.seen == []
    endings = await js.key_value(bus.ENDINGS_BUCKET)
    with pytest.raises(KeyNotFoundError):  # no ending was claimed
        await endings.get(job)


async def test_cancel_command_cancels_every_active_job_and_says_how_many(
    gateway: Gateway, telegram: BotApiStandin, js: JetStreamContext, nc: Client
) -> None:
    cancels = await Collector.watch(nc, "image.cancelled.>")
    async with gateway():
        jobs = [job_of(await status_of(telegram, 701, 701, f"/image cat {i}")) for i in range(2)]
        for job in jobs:
            await recorded(js, job)
        before = len(telegram.messages(701))
        telegram.send_user_message(701, "/cancel")
        await telegram.wait_for_async(lambda: len(telegram.messages(701)) >= before + 2)
        await cancels.wait_count(2)
        assert telegram.messages(701)[-1].text == texts.cancelled_count(ENGLISH, 2)
        telegram.send_user_message(701, "/cancel")
        await telegram.wait_for_async(lambda: len(telegram.messages(701)) >= before + 4)
        assert telegram.messages(701)[-1].text == texts.cancelled_count(ENGLISH, 0)
    assert sorted(ImageCancelled.model_validate_json(s.data).job_id for s in cancels.seen) == (
        sorted(jobs)
    )


async def test_status_lists_active_jobs_with_their_place_and_estimate(
    gateway: Gateway, telegram: BotApiStandin, js: JetStreamContext
) -> None:
    async with gateway():
        # FLUX's jobs took 8 s lately (what the generator records).
        await ServiceTimes(await js.key_value(bus.SERVICE_TIMES_BUCKET)).record("flux", 8.0)
        first = job_of(await status_of(telegram, 801, 801, "/image=flux=a heron"))
        second = job_of(await status_of(telegram, 801, 801, "/image=flux=an owl"))
        # What the enhancer would do: both wait in FLUX's queue, in this order.
        for job in (first, second):
            requested = await recorded(js, job)
            event = ImageRequested(job_id=job, model="flux", job=requested.context())
            await bus.publish(js, PromptEnhanced.after(event, prompt="p", enhanced=True))
            await recorded(js, job, JobState.WAITING)
        before = len(telegram.messages(801))
        telegram.send_user_message(801, "/status")
        await telegram.wait_for_async(lambda: len(telegram.messages(801)) >= before + 2)
    text = telegram.messages(801)[-1].text or ""
    assert text.splitlines() == [
        "Your requests in progress:",
        "• FLUX — in the queue, position 2, about 20 s: “an owl”",
        "• FLUX — in the queue, position 1, about 10 s: “a heron”",
    ]


async def test_history_offers_each_delivered_photo_again(
    gateway: Gateway, telegram: BotApiStandin, js: JetStreamContext
) -> None:
    async with gateway():
        status = await status_of(telegram, 901, 901, "/image=flux=a lighthouse")
        job = job_of(status)
        requested = ImageRequested(
            job_id=job, model="flux", job=(await recorded(js, job)).context()
        )
        # What the notifier did: the photo is in the chat, and Telegram keeps its file_id.
        bot: Bot = create_bot(
            Settings(telegram_bot_token=DEFAULT_TOKEN, telegram_api_url=telegram.base_url),
            timeout=10,
        )
        try:
            photo = BufferedInputFile(png("lighthouse"), filename="photo.png")
            sent = await bot.send_photo(901, photo=photo)
        finally:
            await bot.session.close()
        assert sent.photo
        image = StoredImage(
            bucket="easel_images",
            object_name=job,
            size=1,
            content_type="image/png",
            sha256="0" * 64,
        )
        await bus.publish(
            js,
            ImageGenerated.after(
                requested, prompt="p", image=image, queued_seconds=0, generation_seconds=1
            ),
        )
        await bus.publish(js, ImageDelivered.after(requested, file_id=sent.photo[-1].file_id))
        await recorded(js, job, JobState.DELIVERED)
        telegram.send_user_message(901, "/history")
        await telegram.wait_for_async(
            lambda: (telegram.messages(901)[-1].text or "").startswith("Your last")
        )
        listing = telegram.messages(901)[-1]
        assert listing.buttons == [("🖼️ 1 again", f"photo:{job}")]
        assert "FLUX · “a lighthouse” · delivered" in (listing.text or "")
        press = telegram.press_button(901, listing.message_id, f"photo:{job}")
        await answered(telegram, press.callback_query_id)
        await telegram.wait_for_async(lambda: len(telegram.photos(901)) == 2)
    [(original, _), (again, _)] = telegram.photos(901)
    assert again == original


async def test_a_user_gets_a_fair_share_and_the_next_request_a_friendly_no(
    gateway: Gateway, telegram: BotApiStandin, js: JetStreamContext, nc: Client
) -> None:
    requested = await Collector.watch(nc, "image.requested.>")
    async with gateway(max_active_jobs_per_user=2):
        jobs = [job_of(await status_of(telegram, 1001, 1001, f"/image dog {i}")) for i in range(2)]
        before = len(telegram.messages(1001))
        telegram.send_user_message(1001, "/image dog 2")
        await telegram.wait_for_async(lambda: len(telegram.messages(1001)) >= before + 2)
        assert telegram.messages(1001)[-1].text == texts.too_many_active(ENGLISH, 2)
        assert len(requested.seen) == 2  # the third was not queued
        # One ends (cancelled): its place is free again.
        await recorded(js, jobs[0])
        cancel = ("✖ Cancel", f"cancel:{jobs[0]}")
        status = next(m for m in telegram.messages(1001) if m.buttons == [cancel])
        press = telegram.press_button(1001, status.message_id, f"cancel:{jobs[0]}")
        assert await answered(telegram, press.callback_query_id) == ENGLISH("cancelled")
        await status_of(telegram, 1001, 1001, "/image dog 3")
        await requested.wait_count(3)


async def test_the_bot_offers_its_commands_and_admins_theirs(
    gateway: Gateway, telegram: BotApiStandin
) -> None:
    admin = {"type": "chat", "chat_id": 900}
    telegram.send_user_message(900, "/help")  # a chat with the bot: else "chat not found"
    async with gateway(admin_user_ids=frozenset({900})):
        await telegram.wait_for_async(lambda: bool(telegram.commands(scope=admin)))
    assert telegram.commands() == texts.command_menu(ENGLISH)
    assert telegram.commands(scope=admin) == texts.command_menu(ENGLISH, admin=True)
    # In each language Easel speaks, for the users whose app is set to it.
    russian = CATALOG.for_language("ru")
    assert telegram.commands(language_code="ru") == texts.command_menu(russian)
    assert telegram.commands(scope=admin, language_code="ru") == texts.command_menu(
        russian, admin=True
    )
    assert telegram.commands()[0] != telegram.commands(language_code="ru")[0]
