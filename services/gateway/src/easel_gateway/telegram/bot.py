"""The gateway's bot: every call paced through `FloodControl` (its process's share, then the
bot's budget all replicas share), and replies that never raise."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import stamina
import structlog
from aiogram import Bot
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import TelegramAPIError
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import BotCommand, BotCommandScopeChat, InlineKeyboardMarkup, Message

from easel.i18n import Texts
from easel.telegram import (
    CHAT_PACED,
    Budget,
    CallWindow,
    Lane,
    RetryAfter,
    TelegramSettings,
    classify,
    create_bot,
)
from easel_gateway.metrics import TELEGRAM_RETRIES
from easel_gateway.telegram import texts

log = structlog.get_logger("easel.gateway")

_REQUEST_TIMEOUT = 20.0  # seconds per Bot API call; long polls add their own wait on top
# Not subject to Telegram's flood limits, so not paced. A long poll above all must not take a
# slot: the status reply to the update it brings would wait out a whole interval (+100 ms on
# every request at 10/s, measured by `just bench`).
_UNPACED = frozenset({"getUpdates", "getMe", "setWebhook", "deleteWebhook"})


def build_bot(settings: TelegramSettings, budget: Budget | None = None) -> Bot:
    pacing = FloodControl(settings.telegram_max_calls_per_second, budget=budget)
    return create_bot(settings, timeout=_REQUEST_TIMEOUT, middlewares=[pacing])


async def reply(
    message: Message, text: str, markup: InlineKeyboardMarkup | None = None
) -> Message | None:
    """Answer `message` in its chat; None (and a log line) if Telegram refused."""
    try:
        return await message.reply(text, allow_sending_without_reply=True, reply_markup=markup)
    except TelegramAPIError as error:
        log.warning("telegram.reply_failed", error=str(error))
        return None


async def set_menu(
    bot: Bot,
    t: Texts,
    *,
    admin: bool = False,
    chat_id: int | None = None,
    language_code: str | None = None,
) -> None:
    """The command menu (setMyCommands) in `t`'s language: everyone's, or one chat's; an
    admin's lists the admins' commands too. A refusal is logged: the commands work without
    a menu."""
    menu = texts.command_menu(t, admin=admin)
    commands = [BotCommand(command=name, description=text) for name, text in menu]
    scope = None if chat_id is None else BotCommandScopeChat(chat_id=chat_id)
    try:
        await bot.set_my_commands(commands, scope=scope, language_code=language_code)
    except TelegramAPIError as error:
        # An admin who never wrote to the bot has no chat with it yet: "chat not found".
        log.warning("gateway.commands_not_set", chat_id=chat_id, error=str(error))


async def edit(bot: Bot, chat_id: int, message_id: int, text: str) -> None:
    """Change a message the bot sent; by id, as a taken-over request only knows that."""
    try:
        await bot.edit_message_text(text, chat_id=chat_id, message_id=message_id)
    except TelegramAPIError as error:
        log.warning("telegram.edit_failed", error=str(error))


class FloodControl(BaseRequestMiddleware):
    """Paces calls and waits out Telegram's 429s (`retry_after`), which aiogram does not do.

    - At most `calls_per_second` calls in any second for the whole process, and within the
      bot's `budget` that every replica of the gateway and the notifier shares: a burst of
      new users must queue here rather than be refused by Telegram and lost. The gateway's
      calls are replies: while the notifier's deliveries wait, they leave them a quarter.
    - Calls to one chat go one at a time: Telegram allows about one message per second per
      chat, so after a 429 only the call holding the chat retries, instead of every waiting
      call firing together when the wait ends and being refused again.
    - A 429 is retried for as long as `give_up_after` allows, not a fixed number of times:
      Telegram says exactly when to come back, and a user's request depends on the call.
    """

    def __init__(
        self,
        calls_per_second: float = 10.0,
        give_up_after: float = 120.0,
        max_wait: float = 60.0,
        *,
        budget: Budget | None = None,
    ) -> None:
        self._window = _Window(int(calls_per_second))
        self._budget = budget
        self._give_up_after = give_up_after
        self._max_wait = max_wait  # a longer wait fails the call rather than stall a handler
        self._chats = _KeyedLock()

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        name = method.__api_method__
        chat_id = getattr(method, "chat_id", None)
        async with self._chats.hold(chat_id):
            async for attempt in stamina.retry_context(
                on=self._wait_for, attempts=None, timeout=self._give_up_after
            ):
                with attempt:
                    if attempt.num > 1:
                        TELEGRAM_RETRIES.labels(name).inc()
                    if name in _UNPACED:
                        return await make_request(bot, method)
                    async with self._window.slot():
                        return await self._counted(make_request, bot, method, chat_id)
        raise AssertionError("unreachable: the last failed attempt re-raises")

    async def _counted(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
        chat_id: object,
    ) -> Response[TelegramType]:
        """The call, within the bot's budget: a 429 gives its place back at once."""
        if self._budget is None:
            return await make_request(bot, method)
        paced = method.__api_method__ in CHAT_PACED  # Telegram paces these per chat
        chat = chat_id if paced and isinstance(chat_id, int) else None
        taken = await self._budget.take(chat, Lane.REPLY)
        counted = True  # unless Telegram said it was not
        try:
            return await make_request(bot, method)
        except Exception as error:
            counted = not isinstance(classify(error)[1], RetryAfter)
            raise
        finally:
            taken.give_back(counted=counted)

    def _wait_for(self, error: Exception) -> bool | float:
        """stamina's backoff hook: retry a 429 after exactly what Telegram asked for.

        stamina logs each scheduled retry (`stamina.retry_scheduled`, with the wait)."""
        match classify(error):
            case _, RetryAfter(seconds=seconds) if seconds <= self._max_wait:
                return seconds
        return False


class _Window:
    """Admits calls as `CallWindow` counts them, first come, first served; after a quiet
    spell a burst goes at once."""

    def __init__(self, calls: int) -> None:
        self._counted = CallWindow(calls)
        self._admission = asyncio.Lock()  # FIFO: the longest waiting call goes next
        self._room = asyncio.Event()

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        loop = asyncio.get_running_loop()
        async with self._admission:
            while (at := self._counted.free_at(now := loop.time())) is None or at > now:
                self._room.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._room.wait(), None if at is None else at - now)
            self._counted.sent()
        try:
            yield
        finally:
            self._counted.answered(loop.time())
            self._room.set()


class _KeyedLock:
    """One asyncio.Lock per key, dropped when nobody holds or awaits it; None locks nothing."""

    def __init__(self) -> None:
        self._locks: dict[object, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, key: object) -> AsyncIterator[None]:
        if key is None:
            yield
            return
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)
