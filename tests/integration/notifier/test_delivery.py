"""The notifier end to end: results on a real nats-server in, Bot API stand-in calls out."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiogram import Bot
from nats.js import JetStreamContext
from nats.js.errors import KeyNotFoundError, ObjectNotFoundError

from easel import bus
from easel.events import ErrorCode, ImageDelivered, ImageFailed, ImageGenerated, ImageStarted
from easel.natsserver import NatsServer
from easel_devtools.standins import BotApiStandin, png
from easel_devtools.testing import Settlements, job
from easel_notifier import texts

EN = texts.texts_for("en")  # the test users write in English

CHAT = 5151


@pytest.fixture
async def telegram() -> AsyncIterator[BotApiStandin]:
    async with BotApiStandin(chats=[CHAT]) as standin:
        yield standin
    assert standin.internal_errors == []


def generated(job_id: str, prompt: str, status_id: int | None, image: object) -> ImageGenerated:
    return ImageGenerated.model_validate(
        {
            "job_id": job_id,
            "model": "flux",
            "job": job("a cat", chat_id=CHAT if status_id else None, status_id=status_id),
            "prompt": prompt,
            "image": image,
            "queued_seconds": 1.0,
            "generation_seconds": 2.0,
        }
    )


async def test_photo_is_delivered_once_even_when_redelivered(
    nats_server: NatsServer,
    js: JetStreamContext,
    telegram: BotApiStandin,
    bot: Bot,
    acks: Settlements,
    notifier: Any,
    store_image: Any,
    status_message: Any,
) -> None:
    status_id = await status_message(CHAT)
    data = png("a cat in a hat")
    image = await store_image("tg_5151_1.png", data)
    event = generated("tg_5151_1", "A ginger cat wearing a tiny top hat", status_id, image)

    async with notifier():
        await bus.publish(js, event)
        assert await acks.next() == [b"+ACK"]
        photos = telegram.photos(CHAT)
        assert len(photos) == 1
        photo, caption = photos[0]
        assert photo == data
        assert caption == texts.caption(EN, "FLUX", event.prompt, yours=event.job.original_prompt)
        status = next(m for m in telegram.messages(CHAT) if m.message_id == status_id)
        assert status.deleted
        store = await js.object_store(bus.IMAGES_BUCKET)
        with pytest.raises(ObjectNotFoundError):
            await store.get(image.object_name)
        ledger = await js.key_value(bus.DELIVERIES_BUCKET)
        assert (await ledger.get(event.job_id)).value
        [sent] = [m for m in telegram.messages(CHAT) if m.photo]
        assert sent.photo_file_id is not None
        delivered = await js.get_last_msg(bus.RESULTS, "image.delivered.flux")
        assert ImageDelivered.model_validate_json(delivered.data or b"").file_id == (
            sent.photo_file_id
        )

        # The same event again after the dedupe window (a new Nats-Msg-Id gets it stored).
        await js.publish(
            event.subject, event.model_dump_json().encode(), headers={"Nats-Msg-Id": "again"}
        )
        assert await acks.next() == [b"+ACK"]
        assert len(telegram.photos(CHAT)) == 1
        assert telegram.calls["sendPhoto"] == 1
        # The redelivery says so again, which dedupe (Nats-Msg-Id) folds into the first.
        delivered_events = await js.stream_info(bus.RESULTS, subjects_filter="image.delivered.flux")
        assert delivered_events.state.subjects == {"image.delivered.flux": 1}
    # The redelivery tried to clean up a status message that is already gone: harmless.
    assert telegram.bad_request_log == [
        ("deleteMessage", "Bad Request: message to delete not found")
    ]


async def test_failure_becomes_a_friendly_status(
    nats_server: NatsServer,
    js: JetStreamContext,
    telegram: BotApiStandin,
    bot: Bot,
    acks: Settlements,
    notifier: Any,
    status_message: Any,
) -> None:
    status_id = await status_message(CHAT)
    secret = "sk-live-0123456789abcdef"
    failed = ImageFailed(
        job_id="tg_5151_2",
        model="sdxl",
        job=job("a dog", chat_id=CHAT, status_id=status_id),
        error_code=ErrorCode.AUTH,
        retried=False,
        attempts=1,
        detail=f"401 from https://sdxl.internal/generate?key={secret}",
    )
    async with notifier():
        await bus.publish(js, failed)
        assert await acks.next() == [b"+ACK"]
    status = next(m for m in telegram.messages(CHAT) if m.message_id == status_id)
    assert status.text == (
        "🔧 The SDXL service rejected our credentials. "
        "The team has been alerted; please try another model."
    )
    assert secret not in (status.text or "")


async def test_started_then_long_prompt_caption_is_accepted(
    nats_server: NatsServer,
    js: JetStreamContext,
    telegram: BotApiStandin,
    bot: Bot,
    acks: Settlements,
    notifier: Any,
    store_image: Any,
    status_message: Any,
) -> None:
    status_id = await status_message(CHAT)
    # 1000 characters (the event's limit) are 1400 UTF-16 units: far past 1024.
    prompt = ("a 🐱 on a 🛸, " * 100)[:1000]
    image = await store_image("tg_5151_3.png", png("ufo cat"))
    started = ImageStarted(
        job_id="tg_5151_3", model="flux", job=job("x", chat_id=CHAT, status_id=status_id), attempt=1
    )
    async with notifier():
        await bus.publish(js, started)
        assert await acks.next() == [b"+ACK"]
        await telegram.wait_for_async(
            lambda: any(
                text == "🖼️ Generating with FLUX…"
                for m in telegram.messages(CHAT)
                for _, text in m.edits
            )
        )
        await bus.publish(js, generated("tg_5151_3", prompt, status_id, image))
        assert await acks.next() == [b"+ACK"]
    [(_, caption)] = telegram.photos(CHAT)
    assert caption is not None
    cut, yours = caption.split("\n\n" + EN("caption-yours") + "\n")
    assert cut.endswith("…")  # the model's prompt, cut; the user's words after it, whole
    assert yours == "a cat"
    assert texts.utf16_len(caption) <= texts.CAPTION_LIMIT
    assert telegram.bad_request_log == []


async def test_expired_image_gets_a_retry_message(
    nats_server: NatsServer,
    js: JetStreamContext,
    telegram: BotApiStandin,
    bot: Bot,
    acks: Settlements,
    notifier: Any,
    store_image: Any,
    status_message: Any,
) -> None:
    status_id = await status_message(CHAT)
    image = await store_image("tg_5151_4.png", png("gone"))
    store = await js.object_store(bus.IMAGES_BUCKET)
    await store.delete(image.object_name)  # as the bucket's TTL would
    async with notifier():
        await bus.publish(js, generated("tg_5151_4", "a cat", status_id, image))
        assert await acks.next() == [b"+ACK"]
    status = next(m for m in telegram.messages(CHAT) if m.message_id == status_id)
    assert status.text == texts.failure(EN, "FLUX", ErrorCode.EXPIRED)
    assert telegram.photos(CHAT) == []


async def test_cli_jobs_never_touch_telegram(
    nats_server: NatsServer,
    js: JetStreamContext,
    telegram: BotApiStandin,
    acks: Settlements,
    notifier: Any,
    store_image: Any,
) -> None:
    data = png("cli")
    image = await store_image("cli_1.png", data)
    started = ImageStarted(job_id="cli_1", model="flux", job=job("x"), attempt=1)
    async with notifier():
        await bus.publish(js, started)
        await bus.publish(js, generated("cli_1", "a cat", None, image))
        assert await acks.next(2) == [b"+ACK", b"+ACK"]
    assert sum(telegram.calls.values()) == 0
    store = await js.object_store(bus.IMAGES_BUCKET)
    assert (await store.get(image.object_name)).data == data  # left for the CLI to fetch
    ledger = await js.key_value(bus.DELIVERIES_BUCKET)
    with pytest.raises(KeyNotFoundError):
        await ledger.get("cli_1")


async def test_image_not_matching_its_hash_is_not_sent(
    nats_server: NatsServer,
    js: JetStreamContext,
    telegram: BotApiStandin,
    bot: Bot,
    acks: Settlements,
    notifier: Any,
    store_image: Any,
    status_message: Any,
) -> None:
    status_id = await status_message(CHAT)
    image = await store_image("tg_5151_5.png", png("original"))
    tampered = image.model_copy(update={"sha256": "0" * 64})
    async with notifier():
        await bus.publish(js, generated("tg_5151_5", "a cat", status_id, tampered))
        assert await acks.next() == [b"+ACK"]
    status = next(m for m in telegram.messages(CHAT) if m.message_id == status_id)
    assert status.text == texts.failure(EN, "FLUX", ErrorCode.INVALID_IMAGE)
    assert telegram.photos(CHAT) == []
