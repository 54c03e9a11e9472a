"""The stand-ins behave like the services they replace, seen through real clients.

Telegram is driven with aiogram (the client Easel uses), workers and the LLM with httpx.
Waits are condition-driven (`wait_for_async`) and every wait has a timeout.
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
import time
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from aiogram import Bot, Dispatcher, Router
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramConflictError,
    TelegramRetryAfter,
    TelegramUnauthorizedError,
)
from aiogram.filters import CommandStart
from aiogram.types import (
    BotCommand,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    BufferedInputFile,
    CallbackQuery,
    InaccessibleMessage,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)

from easel_devtools.standins import (
    DEFAULT_LLM_KEY,
    DEFAULT_SDXL_KEY,
    DEFAULT_TOKEN,
    TINY_JPEG,
    Behaviour,
    BotApiStandin,
    FluxWorkerStandin,
    LlmStandin,
    SdxlWorkerStandin,
    enhance,
    png,
    sniff,
)
from easel_devtools.testing.bots import CHAT, standin_bot


@pytest.fixture
def flux() -> Iterator[FluxWorkerStandin]:
    with FluxWorkerStandin() as standin:
        yield standin
    assert standin.internal_errors == []


@pytest.fixture
def llm() -> Iterator[LlmStandin]:
    with LlmStandin() as standin:
        yield standin
    assert standin.internal_errors == []


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5) as client:
        yield client


def keyboard(*rows: list[tuple[str, str]]) -> InlineKeyboardMarkup:
    """Rows of (text, callback_data) buttons."""
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=text, callback_data=data) for text, data in row]
            for row in rows
        ]
    )


async def delivered_queries(bot: Bot, telegram: BotApiStandin) -> list[CallbackQuery]:
    """Fetch pending updates, confirm them, and run them through a Dispatcher as the
    gateway would; returns the CallbackQuery objects its handler received."""
    received: list[CallbackQuery] = []
    router = Router()

    @router.callback_query()
    async def on_press(query: CallbackQuery) -> None:
        received.append(query)

    dispatcher = Dispatcher()
    dispatcher.include_router(router)
    updates = await bot.get_updates(timeout=0)
    for update in updates:
        await dispatcher.feed_update(bot, update)
    if updates:
        await bot.get_updates(offset=updates[-1].update_id + 1, timeout=0)
    assert telegram.pending_update_count == 0
    return received


def buttons(markup: InlineKeyboardMarkup | None) -> list[tuple[str, str | None]]:
    """What aiogram parsed back, row by row, as (text, callback_data)."""
    rows = markup.inline_keyboard if markup else []
    return [(button.text, button.callback_data) for row in rows for button in row]


def pairs(commands: list[BotCommand]) -> list[tuple[str, str]]:
    return [(c.command, c.description) for c in commands]


def chat_body(prompt: str = "a red fox", **extra: object) -> dict[str, object]:
    return {
        "model": "gpt-test",
        "messages": [
            {"role": "system", "content": "Enhance image prompts."},
            {"role": "user", "content": prompt},
        ],
        "temperature": 0.7,
        "max_tokens": 200,
        **extra,
    }


# -- Bot API through aiogram ------------------------------------------------------------


async def test_get_me_and_wrong_token(telegram: BotApiStandin, bot: Bot) -> None:
    me = await bot.get_me()
    assert (me.id, me.is_bot, me.username) == (123456789, True, "easel_standin_bot")
    intruder = standin_bot(telegram.base_url, "987654321:WRONG-token")
    with pytest.raises(TelegramUnauthorizedError, match="Unauthorized"):
        await intruder.get_me()
    await intruder.session.close()
    assert telegram.responses[("getMe", 401)] == 1


async def test_send_edit_delete_and_their_errors(telegram: BotApiStandin, bot: Bot) -> None:
    user_msg = telegram.send_user_message(CHAT, "hello")
    sent = await bot.send_message(CHAT, "Working on it…")
    assert sent.message_id == user_msg.message_id + 1  # ids are shared per chat
    assert sent.chat.type == "private"
    assert sent.from_user
    assert sent.from_user.is_bot

    edited = await bot.edit_message_text("Done", chat_id=CHAT, message_id=sent.message_id)
    assert isinstance(edited, Message)
    assert edited.text == "Done"
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text("Done", chat_id=CHAT, message_id=sent.message_id)
    assert await bot.delete_message(CHAT, sent.message_id) is True
    with pytest.raises(TelegramBadRequest, match="message to delete not found"):
        await bot.delete_message(CHAT, sent.message_id)
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text("Again", chat_id=CHAT, message_id=sent.message_id)
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(777, "anyone?")
    with pytest.raises(TelegramBadRequest, match="message text is empty"):
        await bot.send_message(CHAT, "")  # aiogram omits the empty field altogether
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(CHAT, "x" * 4097)

    [record] = [m for m in telegram.messages(CHAT) if m.from_bot]
    assert record.deleted
    assert record.text == "Done"
    assert [t for _, t in record.edits] == ["Done"]
    assert telegram.bot_visible_messages(CHAT) == []
    assert ("sendMessage", "Bad Request: chat not found") in telegram.bad_request_log


async def test_send_photo_stores_bytes_and_checks_caption_and_image(
    telegram: BotApiStandin, bot: Bot
) -> None:
    image = png("a lighthouse")
    sent = await bot.send_photo(CHAT, BufferedInputFile(image, "x.png"), caption="FLUX")
    assert sent.photo
    assert sent.photo[-1].file_size == len(image)
    assert telegram.photos(CHAT) == [(image, "FLUX")]

    with pytest.raises(TelegramBadRequest, match="message caption is too long"):
        await bot.send_photo(CHAT, BufferedInputFile(image, "x.png"), caption="c" * 1025)
    # 600 emoji are 1200 UTF-16 code units: too long although len() is 600.
    with pytest.raises(TelegramBadRequest, match="message caption is too long"):
        await bot.send_photo(CHAT, BufferedInputFile(image, "x.png"), caption="🎨" * 600)
    with pytest.raises(TelegramBadRequest, match="IMAGE_PROCESS_FAILED"):
        await bot.send_photo(CHAT, BufferedInputFile(b"<html>oops</html>", "x.png"))
    with pytest.raises(TelegramBadRequest, match="IMAGE_PROCESS_FAILED"):
        await bot.send_photo(CHAT, BufferedInputFile(image[:-20], "x.png"))  # truncated
    oversized = png("huge", size=10 * 1024 * 1024 + 1)
    with pytest.raises(TelegramBadRequest, match="PHOTO_SAVE_FILE_INVALID"):
        await bot.send_photo(CHAT, BufferedInputFile(oversized, "x.png"))
    await bot.send_photo(CHAT, BufferedInputFile(TINY_JPEG, "x.jpg"))
    await bot.send_photo(CHAT, sent.photo[-1].file_id)  # resend by file_id
    assert [p for p, _ in telegram.photos(CHAT)] == [image, TINY_JPEG, image]


async def test_flood_limit_answers_retry_after(telegram: BotApiStandin, bot: Bot) -> None:
    for i in range(3):  # per_chat_burst
        await bot.send_message(CHAT, f"burst {i}")
    for _ in range(2):  # sends 4 and 5 are refused
        with pytest.raises(TelegramRetryAfter) as raised:
            await bot.send_message(CHAT, "one too many")
        assert raised.value.retry_after >= 1
    assert len(telegram.bot_visible_messages(CHAT)) == 3  # the rejected calls changed nothing
    assert telegram.retry_after_count == 2
    telegram.set_flood_limits(False)
    await bot.send_message(CHAT, "now fine")
    assert telegram.responses[("sendMessage", 200)] == 4


async def test_get_updates_long_polls_until_a_user_writes(
    telegram: BotApiStandin, bot: Bot
) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=10))
    await telegram.wait_for_async(lambda: telegram.calls["getUpdates"] == 1, timeout=5)
    assert not poll.done()  # held open, not answered empty
    sent = telegram.send_user_message(CHAT, "/start", username="alice")
    async with asyncio.timeout(5):
        [update] = await poll
    assert update.update_id == sent.update_id
    assert update.message
    assert update.message.text == "/start"
    assert update.message.from_user
    assert update.message.from_user.username == "alice"

    again = telegram.redeliver(sent)
    [redelivered] = await bot.get_updates(offset=update.update_id + 1, timeout=0)
    assert redelivered.update_id == again.update_id != sent.update_id
    assert redelivered.message
    assert redelivered.message.message_id == sent.message_id
    assert await bot.get_updates(offset=again.update_id + 1, timeout=0) == []
    assert telegram.pending_update_count == 0


async def test_get_updates_conflicts(telegram: BotApiStandin, bot: Bot) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=10))
    await telegram.wait_for_async(lambda: telegram.calls["getUpdates"] == 1, timeout=5)
    assert await bot.get_updates(timeout=0) == []
    with pytest.raises(TelegramConflictError, match="terminated by other getUpdates request"):
        async with asyncio.timeout(5):
            await first
    assert await bot.set_webhook("https://example.test/hook")
    with pytest.raises(TelegramConflictError, match="while webhook is active"):
        await bot.get_updates()
    assert await bot.delete_webhook()
    assert await bot.get_updates(timeout=0) == []


async def test_dispatcher_polling_handles_start_end_to_end(
    telegram: BotApiStandin, bot: Bot
) -> None:
    router = Router()

    @router.message(CommandStart())
    async def start(message: Message) -> None:
        await message.answer(
            f"Welcome, {message.from_user.first_name if message.from_user else ''}"
        )

    dispatcher = Dispatcher()
    dispatcher.include_router(router)
    polling = asyncio.create_task(
        dispatcher.start_polling(bot, polling_timeout=5, handle_signals=False)
    )
    try:
        telegram.send_user_message(CHAT, "/start")
        await telegram.wait_for_async(
            lambda: [m.text for m in telegram.bot_visible_messages(CHAT)] == ["Welcome, User4242"],
            timeout=10,
        )
        # The next poll carries offset = update_id + 1, which confirms the update.
        await telegram.wait_for_async(lambda: telegram.pending_update_count == 0, timeout=10)
    finally:
        async with asyncio.timeout(10):
            await dispatcher.stop_polling()
            await polling
    assert telegram.calls["getMe"] == 1
    assert telegram.responses[("getUpdates", 409)] == 0


# -- inline keyboards, callback queries, commands --------------------------------------

QUERY_INVALID = "query is too old and response timeout expired or query ID is invalid"
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly"
    " the same as a current content and reply markup of the message"
)


async def test_a_press_reaches_a_dispatcher_and_is_answered_once(
    telegram: BotApiStandin, bot: Bot
) -> None:
    telegram.send_user_message(CHAT, "/start", username="alice", language_code="de")
    sent = await bot.send_message(
        CHAT, "Working on it…", reply_markup=keyboard([("✖ Cancel", "cancel:j1")])
    )
    assert sent.reply_markup is not None
    assert sent.reply_markup.inline_keyboard[0][0].callback_data == "cancel:j1"
    [shown] = telegram.bot_visible_messages(CHAT)
    assert shown.buttons == [("✖ Cancel", "cancel:j1")]

    press = telegram.press_button(CHAT, sent.message_id, "cancel:j1")
    assert telegram.unanswered_presses() == [press]
    [query] = await delivered_queries(bot, telegram)
    assert (query.id, query.data) == (press.callback_query_id, "cancel:j1")
    assert query.from_user.id == CHAT
    assert (query.from_user.username, query.from_user.language_code) == ("alice", "de")
    assert isinstance(query.message, Message)
    assert query.message.message_id == sent.message_id
    assert query.message.text == "Working on it…"
    assert buttons(query.message.reply_markup) == [("✖ Cancel", "cancel:j1")]
    assert query.chat_instance.lstrip("-").isdigit()

    with pytest.raises(TelegramBadRequest, match="MESSAGE_TOO_LONG"):
        await query.answer("x" * 201)
    assert await query.answer("Cancelled", show_alert=True) is True
    [answer] = telegram.callback_answers(press.callback_query_id)
    assert (answer.text, answer.show_alert, answer.url) == ("Cancelled", True, None)
    assert telegram.unanswered_presses() == []
    for query_id in (press.callback_query_id, "12345", ""):  # again, unknown, missing
        with pytest.raises(TelegramBadRequest) as refused:
            await bot.answer_callback_query(query_id)
        assert refused.value.message == f"Bad Request: {QUERY_INVALID}"
    assert telegram.callback_answers() == [answer]
    assert telegram.responses[("answerCallbackQuery", 400)] == 4


async def test_only_shown_buttons_can_be_pressed_unless_the_view_is_stale(
    telegram: BotApiStandin, bot: Bot
) -> None:
    user_msg = telegram.send_user_message(CHAT, "draw a fox")
    sent = await bot.send_message(CHAT, "Queued", reply_markup=keyboard([("Cancel", "c:1")]))
    edited = await bot.edit_message_reply_markup(
        chat_id=CHAT, message_id=sent.message_id, reply_markup=keyboard([("Retry", "r:1")])
    )
    assert isinstance(edited, Message)

    with pytest.raises(ValueError, match="shows no button with callback_data 'c:1'"):
        telegram.press_button(CHAT, sent.message_id, "c:1")  # its keyboard is gone
    with pytest.raises(ValueError, match="never showed"):
        telegram.press_button(CHAT, sent.message_id, "forged", stale=True)
    with pytest.raises(ValueError, match="no bot message"):
        telegram.press_button(CHAT, user_msg.message_id, "c:1")
    with pytest.raises(ValueError, match="no bot message"):
        telegram.press_button(CHAT, 999, "c:1")

    stale = telegram.press_button(CHAT, sent.message_id, "c:1", stale=True)
    [old_press] = await delivered_queries(bot, telegram)
    assert old_press.data == "c:1"
    assert isinstance(old_press.message, Message)
    assert buttons(old_press.message.reply_markup) == [("Retry", "r:1")]  # as it is now
    assert await old_press.answer() is True

    await bot.delete_message(CHAT, sent.message_id)
    with pytest.raises(ValueError, match="was deleted"):
        telegram.press_button(CHAT, sent.message_id, "r:1")
    gone = telegram.press_button(CHAT, sent.message_id, "r:1", stale=True)
    [late] = await delivered_queries(bot, telegram)
    assert isinstance(late.message, InaccessibleMessage)
    assert (late.message.message_id, late.message.chat.id) == (sent.message_id, CHAT)
    assert telegram.unanswered_presses() == [gone]
    assert [a.callback_query_id for a in telegram.callback_answers()] == [stale.callback_query_id]


async def test_allowed_updates_filters_callback_queries(telegram: BotApiStandin, bot: Bot) -> None:
    sent = await bot.send_message(CHAT, "Pick", reply_markup=keyboard([("A", "a")]))
    telegram.press_button(CHAT, sent.message_id, "a")
    wrote = telegram.send_user_message(CHAT, "hello")
    [only] = await bot.get_updates(timeout=0, allowed_updates=["message"])
    assert only.update_id == wrote.update_id
    assert only.callback_query is None
    # Confirming the message also drops the press queued before it, never delivered.
    assert await bot.get_updates(offset=wrote.update_id + 1, timeout=0) == []
    press = telegram.press_button(CHAT, sent.message_id, "a")
    [update] = await bot.get_updates(timeout=0, allowed_updates=["callback_query"])
    assert update.callback_query is not None
    assert update.callback_query.id == press.callback_query_id


async def test_an_expired_query_cannot_be_answered() -> None:
    with BotApiStandin(chats=[CHAT], callback_query_ttl=0) as telegram:
        bot = standin_bot(telegram.base_url)
        try:
            sent = await bot.send_message(CHAT, "Pick", reply_markup=keyboard([("A", "a")]))
            press = telegram.press_button(CHAT, sent.message_id, "a")
            with pytest.raises(TelegramBadRequest, match="query is too old"):
                await bot.answer_callback_query(press.callback_query_id, text="late")
        finally:
            await bot.session.close()
        assert telegram.callback_answers() == []
        assert telegram.unanswered_presses() == [press]
    assert telegram.internal_errors == []


async def test_edit_message_reply_markup_sets_and_removes_keyboards(
    telegram: BotApiStandin, bot: Bot
) -> None:
    telegram.set_flood_limits(False)  # more sends in one chat than its burst allows
    sent = await bot.send_message(CHAT, "Done")
    two_rows = keyboard([("Again", "again:1"), ("Upscale", "up:1")], [("Delete", "del:1")])
    edited = await bot.edit_message_reply_markup(
        chat_id=CHAT, message_id=sent.message_id, reply_markup=two_rows
    )
    assert isinstance(edited, Message)
    assert buttons(edited.reply_markup) == [
        ("Again", "again:1"),
        ("Upscale", "up:1"),
        ("Delete", "del:1"),
    ]
    assert edited.reply_markup is not None
    assert [len(row) for row in edited.reply_markup.inline_keyboard] == [2, 1]
    assert edited.edit_date is None  # a keyboard-only change is not shown as an edit
    [record] = telegram.bot_visible_messages(CHAT)
    assert record.buttons == [("Again", "again:1"), ("Upscale", "up:1"), ("Delete", "del:1")]
    assert record.edits == []

    with pytest.raises(TelegramBadRequest) as unchanged:
        await bot.edit_message_reply_markup(
            chat_id=CHAT, message_id=sent.message_id, reply_markup=two_rows
        )
    assert unchanged.value.message == f"Bad Request: {NOT_MODIFIED}"

    removed = await bot.edit_message_reply_markup(chat_id=CHAT, message_id=sent.message_id)
    assert isinstance(removed, Message)
    assert removed.reply_markup is None
    assert telegram.bot_visible_messages(CHAT)[0].buttons == []
    # An empty inline keyboard is no keyboard: removing it again changes nothing.
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_reply_markup(
            chat_id=CHAT, message_id=sent.message_id, reply_markup=keyboard()
        )

    # editMessageText states the whole message: leaving the keyboard out removes it.
    await bot.edit_message_reply_markup(
        chat_id=CHAT, message_id=sent.message_id, reply_markup=keyboard([("Again", "again:1")])
    )
    text_edit = await bot.edit_message_text("Done!", chat_id=CHAT, message_id=sent.message_id)
    assert isinstance(text_edit, Message)
    assert text_edit.reply_markup is None
    assert telegram.bot_visible_messages(CHAT)[0].buttons == []

    await bot.delete_message(CHAT, sent.message_id)
    for message_id in (sent.message_id, 999):
        with pytest.raises(TelegramBadRequest, match="message to edit not found"):
            await bot.edit_message_reply_markup(
                chat_id=CHAT, message_id=message_id, reply_markup=two_rows
            )
    assert telegram.responses[("editMessageReplyMarkup", 200)] == 3


async def test_inline_keyboards_are_checked_and_echoed_like_telegram(
    telegram: BotApiStandin, bot: Bot
) -> None:
    telegram.set_flood_limits(False)  # more sends in one chat than its burst allows
    longest = await bot.send_message(CHAT, "ok", reply_markup=keyboard([("max", "x" * 64)]))
    assert longest.reply_markup is not None
    for data in ("x" * 65, "é" * 33):  # 64 is a limit in bytes, not characters
        with pytest.raises(TelegramBadRequest) as refused:
            await bot.send_message(CHAT, "no", reply_markup=keyboard([("big", data)]))
        assert refused.value.message == "Bad Request: BUTTON_DATA_INVALID"
    for button in (
        InlineKeyboardButton(text="plain"),
        InlineKeyboardButton(text="empty", callback_data=""),
    ):
        with pytest.raises(TelegramBadRequest) as refused:
            await bot.send_message(
                CHAT, "no", reply_markup=InlineKeyboardMarkup(inline_keyboard=[[button]])
            )
        assert refused.value.message == (
            "Bad Request: can't parse inline keyboard button:"
            " Text buttons are unallowed in the inline keyboard"
        )
    # Two kinds on one button are not refused: Telegram keeps the first it checks (url).
    both = InlineKeyboardButton(text="both", url="https://example.com/", callback_data="b")
    mixed = await bot.send_message(
        CHAT, "mixed", reply_markup=InlineKeyboardMarkup(inline_keyboard=[[both]])
    )
    assert mixed.reply_markup is not None
    [[echoed]] = mixed.reply_markup.inline_keyboard
    assert (echoed.url, echoed.callback_data) == ("https://example.com/", None)
    with pytest.raises(ValueError, match="shows no button"):
        telegram.press_button(CHAT, mixed.message_id, "b")

    photo = await bot.send_photo(
        CHAT, BufferedInputFile(png("x"), "x.png"), reply_markup=keyboard([("Again", "a:1")])
    )
    assert buttons(photo.reply_markup) == [("Again", "a:1")]
    assert telegram.bot_visible_messages(CHAT)[-1].buttons == [("Again", "a:1")]
    telegram.press_button(CHAT, photo.message_id, "a:1")
    assert len(telegram.bot_visible_messages(CHAT)) == 3  # the refused sends left nothing


async def test_send_photo_by_file_id_resends_the_stored_file(
    telegram: BotApiStandin, bot: Bot
) -> None:
    telegram.set_flood_limits(False)  # more sends in one chat than its burst allows
    image = png("a lighthouse", size=2000)
    first = await bot.send_photo(CHAT, BufferedInputFile(image, "x.png"), caption="v1")
    assert first.photo
    again = await bot.send_photo(
        CHAT, first.photo[-1].file_id, caption="again", reply_markup=keyboard([("Up", "up:1")])
    )
    assert again.photo
    assert [p.file_unique_id for p in again.photo] == [p.file_unique_id for p in first.photo]
    assert [(p.width, p.height) for p in again.photo] == [(p.width, p.height) for p in first.photo]
    assert again.photo[-1].file_id != first.photo[-1].file_id  # each message has its own
    from_thumbnail = await bot.send_photo(CHAT, first.photo[0].file_id)  # whole photo again
    assert telegram.photos(CHAT) == [(image, "v1"), (image, "again"), (image, None)]
    assert telegram.bot_visible_messages(CHAT)[1].photo_file_id == again.photo[-1].file_id
    assert from_thumbnail.photo
    await bot.send_photo(CHAT, from_thumbnail.photo[-1].file_id)  # a re-send's id works too

    with pytest.raises(TelegramBadRequest) as unknown:
        await bot.send_photo(CHAT, "AgACAgIAAxkDAAI-not-a-file")
    assert unknown.value.message == "Bad Request: wrong file identifier/HTTP URL specified"
    assert len(telegram.photos(CHAT)) == 4


async def test_my_commands_round_trip_per_scope_and_language(
    telegram: BotApiStandin, bot: Bot
) -> None:
    menu = [
        BotCommand(command="start", description="Start"),
        BotCommand(command="imagine_2", description="Draw a picture"),
    ]
    assert await bot.set_my_commands(menu) is True
    assert pairs(await bot.get_my_commands()) == pairs(menu)
    german = [BotCommand(command="start", description="Loslegen")]
    private = BotCommandScopeAllPrivateChats()
    assert await bot.set_my_commands(german, scope=private, language_code="de")
    assert await bot.get_my_commands(language_code="de") == []  # no fallback between keys
    assert pairs(await bot.get_my_commands(scope=private, language_code="de")) == pairs(german)
    assert telegram.commands() == [("start", "Start"), ("imagine_2", "Draw a picture")]
    assert telegram.commands("de", scope="all_private_chats") == [("start", "Loslegen")]

    # Telegram trims both fields and drops one leading slash.
    await bot.set_my_commands(
        [BotCommand(command=" /help ", description=" Help ")],
        scope=BotCommandScopeChat(chat_id=CHAT),
    )
    assert telegram.commands(scope={"type": "chat", "chat_id": CHAT}) == [("help", "Help")]

    refusals = {
        "BOT_COMMAND_INVALID": [BotCommand(command="Start", description="Capital")],
        "command must be non-empty": [BotCommand(command="/", description="Empty")],
        "command length must not exceed 32": [BotCommand(command="a" * 33, description="Long")],
        "command description must be non-empty": [BotCommand(command="a", description=" ")],
        "command description length must not exceed 256": [
            BotCommand(command="a", description="d" * 257)
        ],
        "BOT_COMMANDS_TOO_MUCH": [
            BotCommand(command=f"c{i}", description="many") for i in range(101)
        ],
    }
    for description, commands in refusals.items():
        with pytest.raises(TelegramBadRequest) as refused:
            await bot.set_my_commands(commands)
        assert refused.value.message == f"Bad Request: {description}"
    with pytest.raises(TelegramBadRequest, match="invalid language code specified"):
        await bot.set_my_commands(menu, language_code="deu")
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.set_my_commands(menu, scope=BotCommandScopeChat(chat_id=777))
    assert await bot.set_my_commands(
        [BotCommand(command="a" * 32, description="d" * 256)], language_code="xx"
    )
    assert telegram.commands() == [("start", "Start"), ("imagine_2", "Draw a picture")]

    assert await bot.delete_my_commands() is True
    assert await bot.get_my_commands() == []
    assert await bot.set_my_commands([], scope=private, language_code="de") is True
    assert telegram.commands("de", scope="all_private_chats") == []
    assert telegram.responses[("setMyCommands", 400)] == len(refusals) + 2


# -- Bot API over raw HTTP: body encodings and exact error bodies ----------------------


async def test_bot_api_accepts_json_form_and_string_ints(
    telegram: BotApiStandin, http: httpx.AsyncClient
) -> None:
    base = f"{telegram.base_url}/bot{DEFAULT_TOKEN}"
    as_json = await http.post(f"{base}/sendMessage", json={"chat_id": CHAT, "text": "json"})
    as_form = await http.post(f"{base}/sendmessage", data={"chat_id": str(CHAT), "text": "form"})
    assert as_json.json()["ok"]
    assert as_form.json()["ok"]
    assert as_form.json()["result"]["message_id"] == as_json.json()["result"]["message_id"] + 1

    unknown = await http.post(f"{base}/sendSticker2", json={})
    assert (unknown.status_code, unknown.json()) == (
        404,
        {"ok": False, "error_code": 404, "description": "Not Found"},
    )
    wrong = await http.post(f"{telegram.base_url}/bot1:nope/getMe")
    assert (wrong.status_code, wrong.json()) == (
        401,
        {"ok": False, "error_code": 401, "description": "Unauthorized"},
    )


async def test_malformed_reply_markup_gets_telegram_errors(
    telegram: BotApiStandin, http: httpx.AsyncClient
) -> None:
    url = f"{telegram.base_url}/bot{DEFAULT_TOKEN}/sendMessage"
    cases = {
        "{not json": "Bad Request: can't parse reply keyboard markup JSON object",
        '{"inline_keyboard": "x"}': 'Bad Request: field "inline_keyboard" must be of type Array',
        '{"inline_keyboard": [[{"callback_data": "a"}]]}': (
            "Bad Request: can't parse inline keyboard button: Can't find field \"text\""
        ),
    }
    for markup, description in cases.items():
        reply = await http.post(url, data={"chat_id": CHAT, "text": "t", "reply_markup": markup})
        assert (reply.status_code, reply.json()["description"]) == (400, description)
    # Rows without buttons are dropped; a reply keyboard is accepted but never echoed.
    sparse = '{"inline_keyboard": [[], [{"text": "A", "callback_data": "a"}]]}'
    reply = await http.post(url, data={"chat_id": CHAT, "text": "t", "reply_markup": sparse})
    assert reply.json()["result"]["reply_markup"] == {
        "inline_keyboard": [[{"text": "A", "callback_data": "a"}]]
    }
    reply_keyboard = '{"keyboard": [[{"text": "Yes"}]]}'
    reply = await http.post(
        url, data={"chat_id": CHAT, "text": "t", "reply_markup": reply_keyboard}
    )
    assert "reply_markup" not in reply.json()["result"]
    assert telegram.bot_visible_messages(CHAT)[-1].buttons == []


async def test_group_limit_is_per_minute(http: httpx.AsyncClient) -> None:
    with BotApiStandin(chats=[-77], per_chat_burst=100, per_group_per_minute=2) as telegram:
        url = f"{telegram.base_url}/bot{DEFAULT_TOKEN}/sendMessage"
        replies = [await http.post(url, json={"chat_id": -77, "text": str(i)}) for i in range(3)]
        assert [r.status_code for r in replies] == [200, 200, 429]
        assert replies[0].json()["result"]["chat"]["type"] == "group"
        rejected = (await http.post(url, json={"chat_id": -77, "text": "x"})).json()
        assert rejected["description"].startswith("Too Many Requests: retry after ")
        assert 55 <= rejected["parameters"]["retry_after"] <= 60
        assert [m.text for m in telegram.messages(-77)] == ["0", "1"]


def test_wait_for_times_out_with_a_helpful_message(telegram: BotApiStandin) -> None:
    with pytest.raises(TimeoutError, match=r"bot_visible_messages\(CHAT\)"):
        telegram.wait_for(lambda: len(telegram.bot_visible_messages(CHAT)) == 1, timeout=0.05)


def test_wait_for_wakes_on_a_change_from_another_thread(telegram: BotApiStandin) -> None:
    threading.Timer(0.05, telegram.send_user_message, args=(CHAT, "hi")).start()
    telegram.wait_for(lambda: telegram.pending_update_count == 1, timeout=5)


# -- image workers ----------------------------------------------------------------------


async def test_flux_script_then_normal_png(
    flux: FluxWorkerStandin, http: httpx.AsyncClient
) -> None:
    flux.script([503, 503, 200])
    prompt = "a cat & a 🐕, 50% off"
    statuses = [(await http.get(flux.url, params={"prompt": prompt})).status_code for _ in range(3)]
    assert statuses == [503, 503, 200]
    last = await http.get(flux.url, params={"prompt": prompt})
    assert last.headers["content-type"] == "image/png"
    assert last.content == png(prompt)
    assert sniff(last.content) is not None
    assert flux.prompts == [prompt] * 4
    assert flux.hits == 4
    assert flux.jobs[-1].sha256 == hashlib.sha256(last.content).hexdigest()
    assert [j.source for j in flux.jobs] == ["script", "script", "script", "normal"]


async def test_sdxl_requires_its_key(http: httpx.AsyncClient) -> None:
    with SdxlWorkerStandin() as sdxl:
        wrong = await http.post(
            sdxl.url, json={"prompt": "x"}, headers={"Authorization": "Bearer nope"}
        )
        missing = await http.post(sdxl.url, json={"prompt": "x"})
        right = await http.post(
            sdxl.url,
            json={"prompt": "x"},
            headers={"Authorization": f"Bearer {DEFAULT_SDXL_KEY}"},
        )
    assert (wrong.status_code, wrong.json()) == (401, {"error": "invalid api key"})
    assert missing.status_code == 401
    assert right.status_code == 200
    assert right.content == png("x")


async def test_capacity_violations_are_counted(http: httpx.AsyncClient) -> None:
    with FluxWorkerStandin(capacity=1) as flux:
        flux.script([Behaviour(hang=True)])
        first = asyncio.create_task(http.get(flux.url, params={"prompt": "one"}))
        await flux.wait_for_async(lambda: flux.in_flight == 1, timeout=5)
        second = await http.get(flux.url, params={"prompt": "two"})
        assert (second.status_code, second.headers["Retry-After"]) == (429, "1")
        assert (flux.capacity_violations, flux.max_concurrency_seen) == (1, 2)

        first.cancel()  # the client gives up: the worker notices and frees its slot
        await flux.wait_for_async(lambda: flux.in_flight == 0, timeout=5)
        assert (await http.get(flux.url, params={"prompt": "three"})).status_code == 200
        assert flux.capacity_violations == 1
        assert [j.status for j in flux.jobs] == [None, 429, 200]


async def test_capacity_two_admits_two(http: httpx.AsyncClient) -> None:
    with FluxWorkerStandin(capacity=2) as flux:
        flux.script([Behaviour(hang=True), Behaviour(hang=True)])
        tasks = [asyncio.create_task(http.get(flux.url, params={"prompt": p})) for p in "ab"]
        await flux.wait_for_async(lambda: flux.in_flight == 2, timeout=5)
        assert flux.capacity_violations == 0
        assert flux.max_concurrency_seen == 2
        for task in tasks:
            task.cancel()
        await flux.wait_for_async(lambda: flux.in_flight == 0, timeout=5)


async def test_hang_times_out_on_the_client_and_does_not_block_stop() -> None:
    flux = FluxWorkerStandin()
    flux.start()
    flux.script([Behaviour(hang=True), Behaviour(hang=True)])
    async with httpx.AsyncClient(timeout=0.3) as client:
        with pytest.raises(httpx.ReadTimeout):
            await client.get(flux.url, params={"prompt": "p"})
        await flux.wait_for_async(lambda: flux.in_flight == 0, timeout=5)
        held = asyncio.create_task(client.get(flux.url, params={"prompt": "q"}, timeout=30))
        await flux.wait_for_async(lambda: flux.in_flight == 1, timeout=5)
        began = time.monotonic()
        await asyncio.to_thread(flux.stop)
        assert time.monotonic() - began < 3
        with pytest.raises(httpx.TransportError):  # connection dropped, no answer
            await held
    assert [j.status for j in flux.jobs] == [None, None]


async def test_scripted_error_shapes(flux: FluxWorkerStandin, http: httpx.AsyncClient) -> None:
    moderated = {"error": "prompt rejected by safety filter", "code": "moderated"}
    flux.script(
        [
            Behaviour(html=True),
            Behaviour(status=400, body=moderated),
            Behaviour(status=503, retry_after=7),
        ]
    )
    html = await http.get(flux.url, params={"prompt": "p"})
    assert html.status_code == 200
    assert html.headers["content-type"].startswith("text/html")
    rejected = await http.get(flux.url, params={"prompt": "p"})
    assert (rejected.status_code, rejected.json()) == (400, moderated)
    busy = await http.get(flux.url, params={"prompt": "p"})
    assert (busy.status_code, busy.headers["Retry-After"]) == (503, "7")


async def test_delay_and_busy_time(http: httpx.AsyncClient) -> None:
    with FluxWorkerStandin(service_time=0.05) as flux:
        flux.script([Behaviour(delay=0.1)])
        began = time.monotonic()
        for _ in range(2):
            assert (await http.get(flux.url, params={"prompt": "p"})).status_code == 200
        elapsed = time.monotonic() - began
    assert elapsed >= 0.2
    assert 0.2 <= flux.busy_time() <= elapsed


async def test_faults_are_seeded_and_image_size_is_exact(http: httpx.AsyncClient) -> None:
    runs = []
    for _ in range(2):
        with FluxWorkerStandin(image_size=50_000) as flux:
            flux.faults(p_5xx=0.4, p_html=0.2, seed=7)
            responses = [await http.get(flux.url, params={"prompt": "p"}) for _ in range(12)]
        runs.append([(r.status_code, r.headers["content-type"][:9]) for r in responses])
        images = [r.content for r in responses if r.headers["content-type"] == "image/png"]
        assert images
        assert all(len(i) == 50_000 and sniff(i) for i in images)
    assert runs[0] == runs[1]
    assert {status for status, _ in runs[0]} & {500, 502, 503}
    assert ("200", "text/html") in {(str(s), t) for s, t in runs[0]}


# -- LLM --------------------------------------------------------------------------------


async def test_llm_answers_like_openai(llm: LlmStandin, http: httpx.AsyncClient) -> None:
    auth = {"Authorization": f"Bearer {DEFAULT_LLM_KEY}"}
    reply = await http.post(f"{llm.url}/chat/completions", json=chat_body(), headers=auth)
    assert reply.status_code == 200
    data = reply.json()
    assert data["object"] == "chat.completion"
    assert data["id"].startswith("chatcmpl-")
    assert data["choices"][0]["message"] == {"role": "assistant", "content": enhance("a red fox")}
    assert data["choices"][0]["finish_reason"] == "stop"
    assert data["usage"]["total_tokens"] > 0
    [request] = llm.requests
    assert request.auth_present
    assert "authorization" not in {k.lower() for k in request.headers}
    assert request.body["max_tokens"] == 200

    wrong = await http.post(
        f"{llm.url}/chat/completions", json=chat_body(), headers={"Authorization": "Bearer x"}
    )
    assert wrong.status_code == 401
    assert wrong.json()["error"]["code"] == "invalid_api_key"
    assert wrong.json()["error"]["message"] == "Incorrect API key provided"
    bad = await http.post(f"{llm.url}/chat/completions", json={"model": "gpt-test"}, headers=auth)
    assert bad.status_code == 400
    assert "messages" in bad.json()["error"]["message"]


async def test_llm_modes(http: httpx.AsyncClient) -> None:
    with LlmStandin(api_key=None) as llm:  # no key configured: no auth required

        async def ask() -> httpx.Response:
            return await http.post(f"{llm.url}/chat/completions", json=chat_body("a boat"))

        assert (await ask()).status_code == 200
        llm.mode = "down"
        assert (await ask()).status_code == 500
        llm.mode = "empty"
        assert (await ask()).json()["choices"][0]["message"]["content"] == ""
        llm.mode = "fenced"
        fenced = (await ask()).json()["choices"][0]["message"]["content"]
        assert fenced == f"```text\n{enhance('a boat')}\n```"
        llm.mode = "rate_limited"
        limited = await ask()
        assert (limited.status_code, limited.headers["Retry-After"]) == (429, "1")
        with pytest.raises(ValueError, match="mode must be one of"):
            llm.mode = "sleepy"  # type: ignore[assignment]

        llm.mode = "slow"  # slow_seconds defaults to 60: the client gives up first
        with pytest.raises(httpx.ReadTimeout):
            await http.post(f"{llm.url}/chat/completions", json=chat_body(), timeout=0.3)
        llm.mode = "normal"
        llm.latency = 0.15
        began = time.monotonic()
        assert (await ask()).status_code == 200
        assert time.monotonic() - began >= 0.15
    assert [r.status for r in llm.requests] == [200, 500, 200, 200, 429, None, 200]
