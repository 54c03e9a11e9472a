"""A job ends once, and its user sees that one ending: the notifier claims it before it
tells (`easel_job_endings`; a delivery as the photo leaves), keeps "✖ Cancel" on the status
while the job can still be cancelled, and never sends a photo after "Cancelled"."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from nats.js import JetStreamContext
from nats.js.errors import ObjectNotFoundError

from easel import bus
from easel.events import (
    ErrorCode,
    ImageCancelled,
    ImageFailed,
    ImageGenerated,
    ImageStarted,
    JobContext,
    PromptEnhanced,
    StoredImage,
)
from easel.jobs import Ending, Endings
from easel_devtools.standins import BotApiStandin, ChatMessage, png
from easel_devtools.testing import Settlements, job
from easel_devtools.testing.metrics import sample
from easel_notifier import texts

EN = texts.texts_for("en")  # the test users write in English

CHAT = 5252
CANCEL = "✖ Cancel"


@pytest.fixture
async def telegram() -> AsyncIterator[BotApiStandin]:
    async with BotApiStandin(chats=[CHAT]) as standin:
        yield standin
    assert standin.internal_errors == []


@pytest.fixture
async def endings(js: JetStreamContext, notifier: Any) -> Endings:
    async with notifier():  # provisions the buckets
        pass
    return Endings(await js.key_value(bus.ENDINGS_BUCKET))


def made(job_id: str, context: JobContext, image: StoredImage) -> ImageGenerated:
    return ImageGenerated(
        job_id=job_id,
        model="flux",
        job=context,
        prompt="p",
        image=image,
        queued_seconds=0,
        generation_seconds=1,
    )


def status(telegram: BotApiStandin, message_id: int) -> ChatMessage:
    return next(m for m in telegram.messages(CHAT) if m.message_id == message_id)


async def test_the_cancel_button_stays_while_the_job_can_be_cancelled(
    js: JetStreamContext,
    telegram: BotApiStandin,
    acks: Settlements,
    notifier: Any,
    store_image: Any,
    status_message: Any,
) -> None:
    status_id = await status_message(CHAT)
    context = job("a cat", chat_id=CHAT, status_id=status_id)
    waiting = PromptEnhanced(
        job_id="tg_5252_1", model="flux", job=context, prompt="p", enhanced=True
    )
    async with notifier():
        await bus.publish(js, waiting)
        await telegram.wait_for_async(lambda: "queue" in (status(telegram, status_id).text or ""))
        assert status(telegram, status_id).buttons == [(CANCEL, "cancel:tg_5252_1")]
        await bus.publish(js, ImageStarted.after(waiting, attempt=1))
        await telegram.wait_for_async(
            lambda: status(telegram, status_id).text == texts.generating(EN, "FLUX")
        )
        assert status(telegram, status_id).buttons == [(CANCEL, "cancel:tg_5252_1")]
        failed = ImageFailed.for_job(waiting, ErrorCode.TIMEOUT, "late", attempts=1)
        await bus.publish(js, failed)
        await telegram.wait_for_async(
            lambda: status(telegram, status_id).text == texts.failure(EN, "FLUX", ErrorCode.TIMEOUT)
        )
    assert status(telegram, status_id).buttons == []  # an ending carries no button


async def test_a_cancel_shows_cancelled_and_no_photo_follows_even_one_already_made(
    js: JetStreamContext,
    telegram: BotApiStandin,
    acks: Settlements,
    notifier: Any,
    store_image: Any,
    status_message: Any,
    endings: Endings,
) -> None:
    status_id = await status_message(CHAT)
    context = job("a cat", chat_id=CHAT, status_id=status_id)
    image = await store_image("tg_5252_2", png("made anyway"))
    started = ImageStarted(job_id="tg_5252_2", model="flux", job=context, attempt=1)
    assert await endings.claim("tg_5252_2", Ending.CANCELLED) is Ending.CANCELLED  # the gateway
    async with notifier():
        await bus.publish(js, started)
        await bus.publish(js, ImageCancelled.after(started))
        generated = ImageGenerated.after(
            started, prompt="p", image=image, queued_seconds=0, generation_seconds=1
        )
        await bus.publish(js, generated)
        await bus.publish(js, ImageFailed.for_job(started, ErrorCode.INTERNAL, "x"))
        assert sorted(await acks.next(4)) == [b"+ACK"] * 4
    assert status(telegram, status_id).text == texts.cancelled(EN, "FLUX")
    assert status(telegram, status_id).buttons == []
    assert telegram.photos(CHAT) == []
    assert telegram.calls["sendPhoto"] == 0
    store = await js.object_store(bus.IMAGES_BUCKET)
    with pytest.raises(ObjectNotFoundError):  # the image, discarded
        await store.get_info("tg_5252_2")


async def test_a_photo_on_its_way_cannot_be_cancelled(
    js: JetStreamContext,
    telegram: BotApiStandin,
    acks: Settlements,
    notifier: Any,
    store_image: Any,
    status_message: Any,
    endings: Endings,
) -> None:
    status_id = await status_message(CHAT)
    context = job("a cat", chat_id=CHAT, status_id=status_id)
    generated = made("tg_5252_3", context, await store_image("tg_5252_3", png("delivered")))
    async with notifier():
        await bus.publish(js, generated)
        assert await acks.next() == [b"+ACK"]
    assert len(telegram.photos(CHAT)) == 1
    # The cancel pressed now: too late, and the claim says why.
    assert await endings.claim("tg_5252_3", Ending.CANCELLED) is Ending.DELIVERING


async def test_a_photo_waiting_for_its_chats_telegram_budget_can_still_be_cancelled(
    js: JetStreamContext,
    telegram: BotApiStandin,
    acks: Settlements,
    notifier: Any,
    store_image: Any,
    status_message: Any,
    endings: Endings,
) -> None:
    telegram.set_flood_limits(False)  # the gateway's status messages: not the point here
    async with notifier(telegram_per_chat_interval_seconds=1.0):
        # Three endings in the chat use up its burst: the next call waits about 3 s.
        for n in range(3):
            other = job("a dog", chat_id=CHAT, status_id=await status_message(CHAT))
            failed = ImageFailed(
                job_id=f"tg_5252_1{n}",
                model="flux",
                job=other,
                error_code=ErrorCode.TIMEOUT,
                retried=False,
                attempts=1,
            )
            await bus.publish(js, failed)
        assert await acks.next(3) == [b"+ACK"] * 3
        status_id = await status_message(CHAT)
        context = job("a cat", chat_id=CHAT, status_id=status_id)
        generated = made(
            "tg_5252_4", context, await store_image("tg_5252_4", png("made, not yet sent"))
        )
        await bus.publish(js, generated)
        await until(lambda: sample("easel_notifier_outbox_pending", priority="delivery") >= 1)
        # The photo waits in the outbox, unclaimed: the cancel pressed now wins.
        assert await endings.claim("tg_5252_4", Ending.CANCELLED) is Ending.CANCELLED
        await bus.publish(js, ImageCancelled(job_id="tg_5252_4", model="flux", job=context))
        assert await acks.next(2) == [b"+ACK"] * 2
    assert status(telegram, status_id).text == texts.cancelled(EN, "FLUX")
    assert telegram.calls["sendPhoto"] == 0


async def until(condition: Callable[[], bool], within: float = 5.0) -> None:
    """A metric has no event to wait on: read it until it holds (bounded)."""
    async with asyncio.timeout(within):
        while not condition():  # noqa: ASYNC110 (nothing sets an Event when a gauge moves)
            await asyncio.sleep(0.005)
