"""Users send photos and replies; the bot downloads what they sent, as with the real Bot API.

Driven with aiogram (the client Easel uses): `get_updates`, `get_file`, `download_file` and
`download`, against the stand-in's `{base}/bot{token}/{method}` and
`{base}/file/bot{token}/{file_path}`. No waiting is needed: every call here is answered
at once, and each has a client timeout.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import httpx
import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramRetryAfter
from aiogram.types import BufferedInputFile, Message

from easel_devtools.standins import DEFAULT_TOKEN, TINY_JPEG, BotApiStandin, png
from easel_devtools.testing.bots import CHAT, standin_bot

GROUP = -100_123_456_789


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5) as client:
        yield client


async def delivered(bot: Bot, telegram: BotApiStandin) -> list[Message]:
    """Fetch and confirm every pending update; the messages as aiogram parsed them."""
    updates = await bot.get_updates(timeout=0)
    if updates:
        await bot.get_updates(offset=updates[-1].update_id + 1, timeout=0)
    assert telegram.pending_update_count == 0
    messages = [update.message for update in updates]
    assert all(message is not None for message in messages)
    return [message for message in messages if message is not None]


async def downloaded(bot: Bot, file_path: str) -> bytes:
    stream = await bot.download_file(file_path, timeout=5)
    assert stream is not None
    return stream.read()


async def test_a_user_photo_arrives_with_its_sizes_and_caption_entities(
    telegram: BotApiStandin, bot: Bot
) -> None:
    image = png("a cat on a sofa", width=1600, height=160)  # wide: quick to build
    sent = telegram.send_user_photo(CHAT, image, caption="/edit make it blue", username="alice")
    assert "text" not in sent.message
    [message] = await delivered(bot, telegram)
    assert (message.message_id, message.text) == (sent.message_id, None)
    assert message.from_user
    assert (message.from_user.id, message.from_user.username) == (CHAT, "alice")
    assert message.caption == "/edit make it blue"
    assert message.caption_entities
    [command] = message.caption_entities
    assert (command.type, command.offset, command.length) == ("bot_command", 0, 5)

    assert message.photo
    assert [(p.width, p.height) for p in message.photo] == [
        (90, 9),
        (320, 32),
        (800, 80),
        (1280, 128),
        (1600, 160),  # the full picture, as sent
    ]
    assert message.photo[-1].file_size == len(image)
    assert len({p.file_unique_id for p in message.photo}) == 5  # each size is its own file

    [record] = telegram.messages(CHAT)
    assert (record.from_bot, record.photo, record.caption) == (False, image, "/edit make it blue")
    assert record.photo_file_id == message.photo[-1].file_id
    assert telegram.photos(CHAT) == []  # only what the bot sent

    # A plain caption has no entities; a JPEG's size is read from the JPEG.
    telegram.send_user_photo(CHAT, TINY_JPEG, caption="just a caption")
    [plain] = await delivered(bot, telegram)
    assert (plain.caption, plain.caption_entities) == ("just a caption", None)
    assert plain.photo
    assert [(p.width, p.height) for p in plain.photo] == [(8, 8)]

    with pytest.raises(ValueError, match="not a PNG, JPEG or WebP image"):
        telegram.send_user_photo(CHAT, b"<html>not a picture</html>")
    with pytest.raises(ValueError, match="positive user_id"):
        telegram.send_user_photo(GROUP, image)
    assert len(telegram.messages(CHAT)) == 2  # the refused sends left nothing
    assert telegram.pending_update_count == 0


async def test_a_reply_carries_the_message_it_answers_one_level_deep(
    telegram: BotApiStandin, bot: Bot
) -> None:
    telegram.set_flood_limits(False)  # more sends in one chat than its burst allows
    offer = await bot.send_message(CHAT, "Here is your picture")
    first = telegram.send_user_message(CHAT, "make it bluer", reply_to=offer.message_id)
    second = telegram.send_user_message(CHAT, "and bigger", reply_to=first.message_id)
    [to_bot, to_self] = await delivered(bot, telegram)

    assert to_bot.reply_to_message
    assert to_bot.reply_to_message.message_id == offer.message_id
    assert to_bot.reply_to_message.text == "Here is your picture"
    assert to_bot.reply_to_message.from_user
    assert to_bot.reply_to_message.from_user.is_bot
    # The replied-to message is nested without its own reply: Telegram nests one level.
    assert to_self.reply_to_message
    assert to_self.reply_to_message.message_id == first.message_id
    assert to_self.reply_to_message.text == "make it bluer"
    assert to_self.reply_to_message.reply_to_message is None
    assert "reply_to_message" not in second.message["reply_to_message"]
    assert second.message["reply_to_message"]["chat"] == second.message["chat"]

    # A photo can answer the bot's photo; the nested one carries its sizes.
    picture = await bot.send_photo(CHAT, BufferedInputFile(png("a fox"), "fox.png"), caption="v1")
    sketch = png("a sketch")
    telegram.send_user_photo(CHAT, sketch, caption="like this", reply_to=picture.message_id)
    [photo_reply] = await delivered(bot, telegram)
    assert photo_reply.reply_to_message
    assert photo_reply.reply_to_message.caption == "v1"
    assert photo_reply.reply_to_message.photo
    assert picture.photo
    assert photo_reply.reply_to_message.photo[-1].file_id == picture.photo[-1].file_id

    assert [m.reply_to_message_id for m in telegram.messages(CHAT)] == [
        None,
        offer.message_id,
        first.message_id,
        None,
        picture.message_id,
    ]
    with pytest.raises(ValueError, match="no message 99 in chat"):
        telegram.send_user_message(CHAT, "to nothing", reply_to=99)
    with pytest.raises(ValueError, match="no message 1 in chat 777"):
        telegram.send_user_message(777, "elsewhere", reply_to=1)
    await bot.delete_message(CHAT, offer.message_id)
    with pytest.raises(ValueError, match="was deleted"):
        telegram.send_user_message(CHAT, "too late", reply_to=offer.message_id)
    assert telegram.pending_update_count == 0
    assert telegram.messages(777) == []  # the refused reply created no chat


async def test_get_file_and_download_return_the_exact_bytes(
    telegram: BotApiStandin, bot: Bot
) -> None:
    image = png("a lighthouse at dusk", width=400, height=280, size=50_000)
    telegram.send_user_photo(CHAT, image, caption="/edit night")
    [message] = await delivered(bot, telegram)
    assert message.photo
    largest = message.photo[-1]

    file = await bot.get_file(largest.file_id)
    assert (file.file_id, file.file_unique_id) == (largest.file_id, largest.file_unique_id)
    assert file.file_size == len(image)
    assert file.file_path
    assert file.file_path.startswith("photos/file_")
    assert file.file_path.endswith(".jpg")
    assert telegram.downloads() == []  # getFile only prepares the download
    assert await downloaded(bot, file.file_path) == image
    assert telegram.downloads() == [file.file_path]

    # The path belongs to the file: asking again, or downloading by the PhotoSize, reuses it.
    again = await bot.get_file(largest.file_id)
    assert again.file_path == file.file_path
    stream = await bot.download(largest, timeout=5)
    assert stream is not None
    assert stream.read() == image
    assert telegram.downloads() == [file.file_path, file.file_path]

    # Another size is another file; the stand-in serves every size the same bytes.
    thumbnail = await bot.get_file(message.photo[0].file_id)
    assert thumbnail.file_path not in (None, file.file_path)
    assert thumbnail.file_size == message.photo[0].file_size

    # The bot's re-send of the photo has new file_ids for the same file: the same path.
    resent = await bot.send_photo(CHAT, largest.file_id, caption="here it is")
    assert resent.photo
    assert resent.photo[-1].file_id != largest.file_id
    assert (await bot.get_file(resent.photo[-1].file_id)).file_path == file.file_path
    assert telegram.responses[("getFile", 200)] == 5  # `download` asks getFile first


async def test_get_file_refuses_unknown_ids_and_files_over_20_mb(
    telegram: BotApiStandin, bot: Bot, http: httpx.AsyncClient
) -> None:
    with pytest.raises(TelegramBadRequest) as unknown:
        await bot.get_file("AgACAgIAAxkBAAI-not-a-file")
    assert unknown.value.message == "Bad Request: invalid file_id"

    huge = png("a poster", size=20 * 1024 * 1024 + 1)  # no real photo is; tests may say so
    telegram.send_user_photo(CHAT, huge)
    [message] = await delivered(bot, telegram)
    assert message.photo
    assert message.photo[-1].file_size == len(huge)
    with pytest.raises(TelegramBadRequest) as too_big:
        await bot.get_file(message.photo[-1].file_id)
    assert too_big.value.message == "Bad Request: file is too big"

    reply = await http.post(f"{telegram.base_url}/bot{DEFAULT_TOKEN}/getFile", json={})
    assert (reply.status_code, reply.json()) == (
        400,
        {"ok": False, "error_code": 400, "description": "Bad Request: file_id not specified"},
    )
    assert telegram.bad_request_log == [
        ("getFile", "Bad Request: invalid file_id"),
        ("getFile", "Bad Request: file is too big"),
        ("getFile", "Bad Request: file_id not specified"),
    ]
    assert telegram.downloads() == []


async def test_a_download_needs_the_bots_token_and_a_path_get_file_gave(
    telegram: BotApiStandin, bot: Bot, http: httpx.AsyncClient
) -> None:
    image = png("a harbour")
    telegram.send_user_photo(CHAT, image)
    [message] = await delivered(bot, telegram)
    assert message.photo
    file = await bot.get_file(message.photo[-1].file_id)
    assert file.file_path
    not_found = {"ok": False, "error_code": 404, "description": "Not Found"}

    intruder = standin_bot(telegram.base_url, "987654321:WRONG-token")
    try:
        with pytest.raises(aiohttp.ClientResponseError) as refused:
            await intruder.download_file(file.file_path, timeout=5)
        assert refused.value.status == 404
    finally:
        await intruder.session.close()
    wrong_token = await http.get(f"{telegram.base_url}/file/bot1:nope/{file.file_path}")
    assert (wrong_token.status_code, wrong_token.json()) == (404, not_found)
    never_given = await http.get(f"{telegram.base_url}/file/bot{DEFAULT_TOKEN}/photos/file_99.jpg")
    assert (never_given.status_code, never_given.json()) == (404, not_found)
    assert telegram.downloads() == []  # refused downloads are not counted

    fetched = await http.get(f"{telegram.base_url}/file/bot{DEFAULT_TOKEN}/{file.file_path}")
    assert (fetched.status_code, fetched.content) == (200, image)
    assert fetched.headers["content-type"] == "application/octet-stream"
    assert telegram.downloads() == [file.file_path]


async def test_get_file_counts_against_the_bot_wide_limit() -> None:
    with BotApiStandin(chats=[CHAT], per_bot_per_second=1) as telegram:
        bot = standin_bot(telegram.base_url)
        try:
            telegram.send_user_photo(CHAT, png("a tree"))
            [message] = await delivered(bot, telegram)
            assert message.photo
            # At once, so that they land within one second however loaded the machine is.
            file_id = message.photo[-1].file_id
            answers = await asyncio.gather(
                *(bot.get_file(file_id) for _ in range(4)), return_exceptions=True
            )
            limited = [a for a in answers if isinstance(a, TelegramRetryAfter)]
            assert limited
            assert all(a.retry_after >= 1 for a in limited)
            assert telegram.responses[("getFile", 429)] == len(limited)
        finally:
            await bot.session.close()
        assert telegram.internal_errors == []
