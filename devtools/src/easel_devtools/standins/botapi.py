"""`BotApiStandin`: api.telegram.org for one bot, with Telegram's limits and error wording.

Serves `{base}/bot{token}/{method}` and, for files the bot asked for with getFile,
`{base}/file/bot{token}/{file_path}` (aiogram: `TelegramAPIServer.from_base(base)`).
Tests play the users (`send_user_message`, `send_user_photo`, both optionally as a reply,
and `press_button`) and read what the bot did (`messages`, `photos`, `callback_answers`,
`commands`, `downloads`, counters). Text is stored as users see it: HTML tags removed when
`parse_mode=HTML`, which is also what the length limits count. Inline keyboards are stored
as Telegram echoes them back (see `reply_markup`).
"""

from __future__ import annotations

import contextlib
import html
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from easel_devtools.standins._botchats import (
    CallbackAnswer,
    CallbackPress,
    Chat,
    ChatMessage,
    Message,
    Update,
    command_entities,
    utf16_len,
)
from easel_devtools.standins._botparams import (
    ApiError,
    Params,
    ScopeKey,
    bad_request,
    bot_commands,
    check_commands,
    command_scope,
    language_code,
    read_params,
    reply_markup,
)
from easel_devtools.standins._flood import Limit, SlidingWindows
from easel_devtools.standins._server import StandinServer
from easel_devtools.standins.images import sniff

DEFAULT_TOKEN = "123456789:STANDIN-token"
TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
PHOTO_LIMIT = 10 * 1024 * 1024
UPLOAD_LIMIT = 50 * 1024 * 1024  # Telegram's multipart ceiling; aiohttp answers 413 above
DOWNLOAD_LIMIT = 20 * 1024 * 1024  # the largest file getFile lets a bot download
# Not rate limited at all; everything else counts against the bot-wide limit.
UNLIMITED = frozenset({"getUpdates", "getMe", "deleteWebhook", "setWebhook"})
# Telegram's "1 message per second per chat" covers sending and editing messages.
PER_CHAT = frozenset({"sendMessage", "sendPhoto", "editMessageText", "editMessageReplyMarkup"})
ANSWER_TEXT_LIMIT = 200
CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
_PATH = re.compile(r"/bot([^/]+)/([A-Za-z_]+)/?")
_NOT_FOUND = {"ok": False, "error_code": 404, "description": "Not Found"}
_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly"
    " the same as a current content and reply markup of the message"
)
# Unknown, already answered and expired queries all get this (Telegram's QUERY_ID_INVALID).
_QUERY_INVALID = "query is too old and response timeout expired or query ID is invalid"
_CONFLICT_POLL = (
    "Conflict: terminated by other getUpdates request;"
    " make sure that only one bot instance is running"
)
_CONFLICT_WEBHOOK = (
    "Conflict: can't use getUpdates method while webhook is active;"
    " use deleteWebhook to delete the webhook first"
)


@dataclass(frozen=True)
class _Reply:
    result: Any
    description: str


def _chat_instance(chat_id: int) -> str:
    """A stable signed 64-bit id per chat, as Telegram's chat_instance is."""
    mixed = (chat_id * 0x9E3779B97F4A7C15) & 0xFFFF_FFFF_FFFF_FFFF
    return str(mixed - (1 << 64) if mixed >= 1 << 63 else mixed)


def _file_tag(message: Message) -> str:
    return f"{message.chat_id & 0xFFFFFF:06x}{message.message_id:06d}"


def _new_ladder(tag: str, size: int, width: int, height: int) -> list[dict[str, Any]]:
    """Telegram re-encodes an upload to a ladder of sizes; the largest is the full picture."""
    longest = max(width, height, 1)
    sides = [side for side in (90, 320, 800, 1280) if side < longest] + [min(longest, 2560)]
    ladder = []
    for index, side in enumerate(sides):
        scale = side / longest
        is_full = index == len(sides) - 1
        ladder.append(
            {
                "file_unique_id": f"AQAD{tag}{index}",
                "width": max(1, round(width * scale)),
                "height": max(1, round(height * scale)),
                "file_size": size if is_full else max(1, size * side // longest),
            }
        )
    return ladder


def _visible(text: str | None, parse_mode: str | None) -> str | None:
    if text is None or not parse_mode or parse_mode.lower() != "html":
        return text
    return html.unescape(re.sub(r"<[^>]*>", "", text))


def _user(
    chat_id: int, user_id: int | None, language_code: str | None, username: str | None
) -> dict[str, Any]:
    """The User object of whoever writes; in a private chat that is the chat's own user."""
    uid = chat_id if user_id is None else user_id
    if uid <= 0:
        raise ValueError("messages in groups need a positive user_id")
    user: dict[str, Any] = {"id": uid, "is_bot": False, "first_name": f"User{uid}"}
    if username:
        user["username"] = username
    if language_code:
        user["language_code"] = language_code
    return user


class BotApiStandin(StandinServer):
    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        port: int = 0,
        chats: Iterable[int] = (),
        flood_limits: bool = True,
        per_bot_per_second: int = 30,
        per_chat_per_second: float = 1.0,
        per_chat_burst: int = 3,
        per_group_per_minute: int = 20,
        bot_username: str = "easel_standin_bot",
        callback_query_ttl: float | None = None,
    ) -> None:
        """`callback_query_ttl`: seconds after a press when answering it fails as too old.

        Telegram does not document its window, so by default queries never expire.
        """
        super().__init__(port=port)
        self.token = token
        self.bot_id = int(token.split(":", 1)[0])
        self.bot_user = {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": "Easel",
            "username": bot_username,
        }
        self.per_bot_per_second = per_bot_per_second
        self.per_chat_per_second = per_chat_per_second
        self.per_chat_burst = per_chat_burst
        self.per_group_per_minute = per_group_per_minute
        self._flood_enabled = flood_limits
        self._windows = SlidingWindows()
        self._chats: dict[int, Chat] = {}
        self._updates: list[dict[str, Any]] = []
        self._next_update_id = 100_000_001  # real ids are large; catches int-size assumptions
        self._allowed_updates: list[str] = []
        self._poll_seq = 0
        self._webhook_url = ""
        self._files: dict[str, bytes] = {}  # file_id -> the full picture
        self._ladders: dict[str, list[dict[str, Any]]] = {}  # file_id -> its photo's sizes
        self._sizes: dict[str, dict[str, Any]] = {}  # file_id -> its PhotoSize (sans file_id)
        self._file_paths: dict[str, str] = {}  # file_unique_id -> path getFile gave out
        self._served: dict[str, bytes] = {}  # file_path -> what downloading it returns
        self._downloads: list[str] = []  # file_path per successful download, in order
        self._calls: Counter[str] = Counter()
        self._responses: Counter[tuple[str, int]] = Counter()
        self._retry_after_count = 0
        self._bad_requests: list[tuple[str, str]] = []
        self._users: dict[int, dict[str, Any]] = {}  # the User object, as last seen
        self.callback_query_ttl = callback_query_ttl
        self._next_query_id = 1_453_464_367_405_736_001  # real ids are int64 as text
        self._presses: dict[str, tuple[CallbackPress, float]] = {}  # id -> (press, monotonic)
        self._answers: dict[str, CallbackAnswer] = {}  # id -> its one accepted answer
        self._commands: dict[tuple[ScopeKey, str], list[dict[str, str]]] = {}
        self._held: set[str] = set()  # methods whose calls wait (a slow network)
        self._methods: dict[str, Callable[[Params], Any]] = {
            "getMe": self._get_me,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "sendPhoto": self._send_photo,
            "sendChatAction": self._send_chat_action,
            "getFile": self._get_file,
            "answerCallbackQuery": self._answer_callback_query,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "getUpdates": lambda _: None,  # async; see _handle
        }
        self._canonical = {name.lower(): name for name in self._methods}
        for chat_id in chats:
            self._ensure_chat(chat_id, None)

    def build_app(self) -> web.Application:
        app = web.Application(client_max_size=UPLOAD_LIMIT)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download, allow_head=False)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        return app

    # -- test-facing API -----------------------------------------------------------------
    def send_user_message(
        self,
        chat_id: int,
        text: str,
        *,
        user_id: int | None = None,
        language_code: str | None = "en",
        username: str | None = None,
        reply_to: int | None = None,
    ) -> Update:
        """A user writes `text` in `chat_id`; queued for getUpdates. Unknown chats are created.

        `reply_to`: the id of a message in the chat (the user's or the bot's) this one
        answers; it arrives nested as `reply_to_message`. ValueError if there is none.
        """
        user = _user(chat_id, user_id, language_code, username)
        return self._user_sends(chat_id, user, reply_to, text=text, entities=command_entities(text))

    def send_user_photo(
        self,
        chat_id: int,
        photo: bytes,
        *,
        caption: str | None = None,
        user_id: int | None = None,
        language_code: str | None = "en",
        username: str | None = None,
        reply_to: int | None = None,
    ) -> Update:
        """A user sends a picture (optionally captioned) in `chat_id`; queued for getUpdates.

        It arrives as Telegram delivers a photo: `photo` is the ladder of re-encoded sizes
        (every size's file_id downloads these bytes here, via getFile), and a caption that
        starts with a /command carries a bot_command entity. Refused (ValueError) unless
        `photo` is a PNG, JPEG or WebP: clients send only pictures as photos. Its size is not
        limited, so a test can pass one over 20 MB to meet getFile's limit.
        """
        info = sniff(photo)
        if info is None:
            raise ValueError("not a PNG, JPEG or WebP image; users send only pictures as photos")
        user = _user(chat_id, user_id, language_code, username)
        return self._user_sends(
            chat_id,
            user,
            reply_to,
            (info.width, info.height),
            photo=photo,
            caption=caption or None,
            caption_entities=command_entities(caption) if caption else None,
        )

    def press_button(
        self,
        chat_id: int,
        message_id: int,
        data: str,
        *,
        user_id: int | None = None,
        first_name: str | None = None,
        language_code: str | None = None,
        stale: bool = False,
    ) -> CallbackPress:
        """A user presses the button with callback_data `data` on a bot message.

        Refused (ValueError) unless the message shows that button now: users only ever see
        the current keyboard. `stale=True` is a client still showing an older keyboard of the
        message, or the message after it was deleted: Telegram delivers that press too, with
        the message as it is now (an inaccessible one, date 0, once deleted). The user is as
        last seen in `send_user_message` unless `first_name`/`language_code` say otherwise.
        """
        uid = chat_id if user_id is None else user_id
        if uid <= 0:
            raise ValueError("presses in groups need a positive user_id")
        with self._lock:
            chat = self._chats.get(chat_id)
            message = chat.messages.get(message_id) if chat else None
            if chat is None or message is None or not message.from_bot:
                raise ValueError(f"no bot message {message_id} in chat {chat_id}")
            if stale:
                if data not in message.shown_callback_data:
                    raise ValueError(
                        f"message {message_id} never showed a button with callback_data {data!r}"
                    )
            elif message.deleted_at is not None:
                raise ValueError(f"message {message_id} was deleted; pass stale=True")
            elif data not in message.callback_data():
                raise ValueError(
                    f"message {message_id} shows no button with callback_data {data!r}"
                    f" (it shows {message.callback_data()}); pass stale=True for an old view"
                )
            user = dict(self._users.get(uid) or {"id": uid, "is_bot": False})
            user.setdefault("first_name", f"User{uid}")
            if first_name:
                user["first_name"] = first_name
            if language_code:
                user["language_code"] = language_code
            query_id = str(self._next_query_id)
            self._next_query_id += 1
            shown = (
                message.to_json(chat.to_json())
                if message.deleted_at is None
                else message.inaccessible_json(chat.to_json())
            )
            query = {
                "id": query_id,
                "from": user,
                "message": shown,
                "chat_instance": _chat_instance(chat_id),
                "data": data,
            }
            update_id = self._push("callback_query", query)
            press = CallbackPress(update_id, query_id, chat_id, message_id, uid, data, query)
            self._presses[query_id] = (press, time.monotonic())
            self._changed()
            return press

    def add_chat(self, chat_id: int) -> None:
        """Make a chat known without a user message (the bot may write there)."""
        with self._lock:
            self._ensure_chat(chat_id, None)
            self._changed()

    @contextlib.contextmanager
    def hold(self, method: str) -> Iterator[None]:
        """Calls of `method` wait (unanswered, as on a slow link) until the block ends, or
        until the client gives up."""
        with self._lock:
            self._held.add(method)
        try:
            yield
        finally:
            with self._lock:
                self._held.discard(method)
                self._changed()

    def redeliver(self, update: Update) -> Update:
        """Queue the same message again under a new update_id (an unconfirmed redelivery)."""
        with self._lock:
            again = self._queue(update.message)
            self._changed()
            return again

    def messages(self, chat_id: int) -> list[ChatMessage]:
        with self._lock:
            chat = self._chats.get(chat_id)
            return [m.snapshot() for m in chat.messages.values()] if chat else []

    def bot_visible_messages(self, chat_id: int) -> list[ChatMessage]:
        """The bot's messages still in the chat (not deleted)."""
        return [m for m in self.messages(chat_id) if m.from_bot and not m.deleted]

    def photos(self, chat_id: int) -> list[tuple[bytes, str | None]]:
        """Every photo the bot sent to the chat, including ones deleted later."""
        return [(m.photo, m.caption) for m in self.messages(chat_id) if m.photo and m.from_bot]

    def downloads(self) -> list[str]:
        """The file_path of every successful file download, in order (repeats included)."""
        with self._lock:
            return list(self._downloads)

    def callback_answers(self, callback_query_id: str | None = None) -> list[CallbackAnswer]:
        """Accepted answers in the order given (at most one per query), or the given query's."""
        with self._lock:
            return [
                answer
                for query_id, answer in self._answers.items()
                if callback_query_id is None or query_id == callback_query_id
            ]

    def unanswered_presses(self) -> list[CallbackPress]:
        """Presses the bot never answered (expired ones included): each leaves a spinner."""
        with self._lock:
            return [press for qid, (press, _) in self._presses.items() if qid not in self._answers]

    def commands(
        self, language_code: str | None = None, scope: str | dict[str, Any] = "default"
    ) -> list[tuple[str, str]]:
        """(command, description) as set for exactly this scope and language (no fallback)."""
        key = command_scope(
            Params({"scope": {"type": scope} if isinstance(scope, str) else scope}, {})
        )
        with self._lock:
            stored = self._commands.get((key, language_code or ""), [])
            return [(c["command"], c["description"]) for c in stored]

    def chat_actions(self, chat_id: int) -> list[tuple[float, str]]:
        with self._lock:
            chat = self._chats.get(chat_id)
            return list(chat.actions) if chat else []

    def set_flood_limits(self, enabled: bool) -> None:
        """Toggle flood control; either way the windows start empty."""
        with self._lock:
            self._flood_enabled = enabled
            self._windows = SlidingWindows()
            self._changed()

    @property
    def calls(self) -> Counter[str]:
        with self._lock:
            return self._calls.copy()

    @property
    def responses(self) -> Counter[tuple[str, int]]:
        with self._lock:
            return self._responses.copy()

    @property
    def retry_after_count(self) -> int:
        with self._lock:
            return self._retry_after_count

    @property
    def bad_request_log(self) -> list[tuple[str, str]]:
        with self._lock:
            return list(self._bad_requests)

    @property
    def pending_update_count(self) -> int:
        """Updates not yet confirmed by a getUpdates offset."""
        with self._lock:
            return len(self._updates)

    @property
    def webhook_url(self) -> str:
        with self._lock:
            return self._webhook_url

    def describe(self) -> str:
        with self._lock:
            chats = {cid: len(c.messages) for cid, c in self._chats.items()}
            unanswered = len(self._presses) - len(self._answers)
            return (
                f"calls={dict(self._calls)} pending_updates={len(self._updates)} "
                f"messages_per_chat={chats} unanswered_presses={unanswered} "
                f"429s={self._retry_after_count} bad_requests={self._bad_requests[-3:]} "
                f"downloads={len(self._downloads)}"
            )

    # -- plumbing ------------------------------------------------------------------------
    def _ensure_chat(self, chat_id: int, user: dict[str, Any] | None) -> Chat:
        chat = self._chats.get(chat_id)
        if chat is None:
            if chat_id > 0:
                name = user["first_name"] if user else f"User{chat_id}"
                username = user.get("username") if user else None
                chat = Chat(chat_id, name, username)
            else:
                chat = Chat(chat_id, f"Group {chat_id}")
            self._chats[chat_id] = chat
        return chat

    def _user_sends(
        self,
        chat_id: int,
        user: dict[str, Any],
        reply_to: int | None,
        photo_size: tuple[int, int] | None = None,
        **fields: Any,
    ) -> Update:
        """A user's message (a photo of `photo_size` when it has one), queued for getUpdates."""
        with self._lock:
            replied = self._replied(chat_id, reply_to)
            self._users[user["id"]] = user
            chat = self._ensure_chat(chat_id, user)
            message = chat.add(sender=user, from_bot=False, reply_to=replied, **fields)
            if photo_size is not None:
                assert message.photo is not None, "a photo's size comes with the photo"
                ladder = _new_ladder(_file_tag(message), len(message.photo), *photo_size)
                message.photo_sizes = self._photo_sizes(message, message.photo, ladder)
            update = self._queue(message.to_json(chat.to_json()))
            self._changed()
            return update

    def _replied(self, chat_id: int, message_id: int | None) -> Message | None:
        """The message a user's reply answers; only one still in the chat can be replied to."""
        if message_id is None:
            return None
        chat = self._chats.get(chat_id)
        message = chat.messages.get(message_id) if chat else None
        if chat is None or message is None:
            raise ValueError(f"no message {message_id} in chat {chat_id} to reply to")
        if message.deleted_at is not None:
            raise ValueError(f"message {message_id} was deleted; users cannot reply to it")
        return message

    def _push(self, kind: str, payload: dict[str, Any]) -> int:
        update_id = self._next_update_id
        self._next_update_id += 1
        self._updates.append({"update_id": update_id, kind: payload})
        return update_id

    def _queue(self, message: dict[str, Any]) -> Update:
        update_id = self._push("message", message)
        return Update(
            update_id=update_id,
            chat_id=message["chat"]["id"],
            message_id=message["message_id"],
            user_id=message["from"]["id"],
            text=message.get("text", ""),
            message=message,
        )

    def _chat(self, params: Params) -> Chat:
        raw = params.fields.get("chat_id")
        if raw is None or raw == "":
            raise bad_request("chat_id is empty")
        try:
            chat = self._chats.get(int(raw))
        except (TypeError, ValueError):
            chat = None  # @usernames are not modelled
        if chat is None:
            raise bad_request("chat not found")
        return chat

    def _admit(self, method: str, chat_id: int | None) -> None:
        """Raise 429 if a limit is exhausted; otherwise count the call. Rejects change nothing."""
        if not self._flood_enabled or method in UNLIMITED:
            return
        limits = [Limit(("bot",), self.per_bot_per_second, 1.0)]
        if chat_id is not None and method in PER_CHAT:
            window = self.per_chat_burst / self.per_chat_per_second
            limits.append(Limit(("chat", chat_id), self.per_chat_burst, window))
            if chat_id < 0:
                limits.append(Limit(("group", chat_id), self.per_group_per_minute, 60.0))
        now = time.monotonic()
        if wait := self._windows.retry_after(limits, now):
            raise ApiError(429, f"Too Many Requests: retry after {wait}", retry_after=wait)
        self._windows.record(limits, now)

    async def _handle(self, request: web.Request) -> web.Response:
        match = _PATH.fullmatch(request.path)
        if match is None:
            return web.json_response(_NOT_FOUND, status=404)
        token, name = match.groups()
        method = self._canonical.get(name.lower(), name)
        with self._lock:
            self._calls[method] += 1
            self._changed()
        body: dict[str, Any]
        try:
            if token != self.token:
                raise ApiError(401, "Unauthorized")
            if method not in self._methods:
                raise ApiError(404, "Not Found")
            params = await read_params(request)
            await self._until(lambda: method not in self._held, None)
            if method == "getUpdates":
                result: Any = await self._get_updates(params)
            else:
                with self._lock:
                    result = self._methods[method](params)
            body = {"ok": True, "result": result}
            if isinstance(result, _Reply):
                body = {"ok": True, "result": result.result, "description": result.description}
            status = 200
        except ApiError as error:
            status = error.code
            body = {"ok": False, "error_code": status, "description": error.description}
            if error.retry_after is not None:
                body["parameters"] = {"retry_after": error.retry_after}
        with self._lock:
            self._responses[(method, status)] += 1
            if status == 429:
                self._retry_after_count += 1
            if status == 400:
                self._bad_requests.append((method, body["description"]))
            self._changed()
        return web.json_response(body, status=status)

    async def _download(self, request: web.Request) -> web.Response:
        """GET /file/bot{token}/{file_path}: only paths getFile gave this bot exist."""
        path = request.match_info["path"]
        with self._lock:
            data = self._served.get(path) if request.match_info["token"] == self.token else None
            if data is not None:
                self._downloads.append(path)
                self._changed()
        if data is None:
            return web.json_response(_NOT_FOUND, status=404)
        return web.Response(body=data, content_type="application/octet-stream")

    # -- methods -------------------------------------------------------------------------
    def _get_me(self, params: Params) -> dict[str, Any]:
        return self.bot_user | {
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def _drop_pending(self, params: Params) -> None:
        if params.obj("drop_pending_updates") in (True, 1, "True"):
            self._updates.clear()

    def _set_webhook(self, params: Params) -> _Reply:
        url = params.text("url") or ""
        if url and not url.startswith(("https://", "http://")):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        self._drop_pending(params)
        self._webhook_url = url
        return _Reply(True, "Webhook was set" if url else "Webhook was deleted")

    def _delete_webhook(self, params: Params) -> _Reply:
        self._drop_pending(params)
        had, self._webhook_url = self._webhook_url, ""
        return _Reply(True, "Webhook was deleted" if had else "Webhook is already deleted")

    def _get_webhook_info(self, params: Params) -> dict[str, Any]:
        self._admit("getWebhookInfo", None)
        info: dict[str, Any] = {
            "url": self._webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if self._webhook_url:
            info["max_connections"] = 40
        return info

    def _deliverable(self) -> list[dict[str, Any]]:
        allowed = self._allowed_updates
        return [u for u in self._updates if not allowed or any(k in u for k in allowed)]

    async def _get_updates(self, params: Params) -> list[dict[str, Any]]:
        offset = params.integer("offset", 0)
        limit = min(max(params.integer("limit", 100), 1), 100)
        timeout = max(params.integer("timeout", 0), 0)
        allowed = params.obj("allowed_updates")
        with self._lock:
            if self._webhook_url:
                raise ApiError(409, _CONFLICT_WEBHOOK)
            if isinstance(allowed, list):
                self._allowed_updates = [str(kind) for kind in allowed]
            if offset < 0:
                del self._updates[:offset]  # keep the last -offset updates
            elif offset:
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
            self._poll_seq += 1
            me = self._poll_seq
            self._changed()  # an earlier poll still waiting now answers 409
        await self._until(
            lambda: self._poll_seq != me or bool(self._webhook_url) or bool(self._deliverable()),
            timeout,
        )
        with self._lock:
            if self._poll_seq != me:
                raise ApiError(409, _CONFLICT_POLL)
            if self._webhook_url:
                raise ApiError(409, _CONFLICT_WEBHOOK)
            return self._deliverable()[:limit]

    def _text(self, params: Params, name: str, limit: int, too_long: str) -> str | None:
        value = _visible(params.text(name), params.text("parse_mode"))
        if value is not None and utf16_len(value) > limit:
            raise bad_request(too_long)
        return value

    def _send_message(self, params: Params) -> dict[str, Any]:
        chat = self._chat(params)
        text = self._text(params, "text", TEXT_LIMIT, "message is too long")
        if not text or not text.strip():
            raise bad_request("message text is empty")
        markup = reply_markup(params)
        self._admit("sendMessage", chat.id)
        message = chat.add(sender=self.bot_user, from_bot=True, text=text, reply_markup=markup)
        return message.to_json(chat.to_json())

    def _edit_message_text(self, params: Params) -> dict[str, Any]:
        chat = self._chat(params)
        message_id = params.integer("message_id", missing="message identifier is not specified")
        text = self._text(params, "text", TEXT_LIMIT, "message is too long")
        if not text or not text.strip():
            raise bad_request("message text is empty")
        markup = reply_markup(params)
        message = self._editable(chat, message_id)
        if message.text is None:
            raise bad_request("there is no text in the message to edit")
        # An edit states the whole message: leaving reply_markup out removes the keyboard.
        if text == message.text and markup == message.inline_keyboard:
            raise bad_request(_NOT_MODIFIED)
        self._admit("editMessageText", chat.id)
        message.text = text
        message.set_markup(markup)
        message.edits.append((time.monotonic(), text))
        message.edit_date = int(time.time())
        return message.to_json(chat.to_json())

    def _editable(self, chat: Chat, message_id: int) -> Message:
        message = chat.live(message_id)
        if message is None:
            raise bad_request("message to edit not found")
        if not message.from_bot:
            raise bad_request("message can't be edited")
        return message

    def _edit_message_reply_markup(self, params: Params) -> dict[str, Any]:
        markup = reply_markup(params)  # the server parses the markup before the message
        chat = self._chat(params)
        message_id = params.integer("message_id", missing="message identifier is not specified")
        message = self._editable(chat, message_id)
        if markup == message.inline_keyboard:
            raise bad_request(_NOT_MODIFIED)
        self._admit("editMessageReplyMarkup", chat.id)
        # Not a visible edit: Telegram sets no edit_date for a keyboard-only change.
        message.set_markup(markup)
        return message.to_json(chat.to_json())

    def _answer_callback_query(self, params: Params) -> bool:
        query_id = params.text("callback_query_id") or ""
        text = params.text("text")
        pressed = self._presses.get(query_id)
        now = time.monotonic()
        ttl = self.callback_query_ttl
        expired = pressed is not None and ttl is not None and now - pressed[1] >= ttl
        if pressed is None or query_id in self._answers or expired:
            raise bad_request(_QUERY_INVALID)
        if text is not None and len(text) > ANSWER_TEXT_LIMIT:
            raise bad_request("MESSAGE_TOO_LONG")
        self._admit("answerCallbackQuery", None)
        cache_time = min(max(params.integer("cache_time", 0), 0), 30 * 24 * 3600)
        self._answers[query_id] = CallbackAnswer(
            callback_query_id=query_id,
            text=text or None,
            show_alert=params.flag("show_alert"),
            url=params.text("url") or None,
            cache_time=cache_time,
            answered_at=now,
        )
        return True

    def _command_key(self, params: Params) -> tuple[ScopeKey, str]:
        scope = command_scope(params)
        if len(scope) > 1 and scope[1] not in self._chats:
            raise bad_request("chat not found")
        return scope, language_code(params)

    def _set_my_commands(self, params: Params) -> bool:
        commands = bot_commands(params)
        key = self._command_key(params)
        checked = check_commands(commands)
        self._admit("setMyCommands", None)
        if checked:
            self._commands[key] = checked
        else:  # an empty list is the same as deleteMyCommands
            self._commands.pop(key, None)
        return True

    def _get_my_commands(self, params: Params) -> list[dict[str, str]]:
        key = self._command_key(params)
        self._admit("getMyCommands", None)
        return [dict(command) for command in self._commands.get(key, [])]

    def _delete_my_commands(self, params: Params) -> bool:
        key = self._command_key(params)
        self._admit("deleteMyCommands", None)
        self._commands.pop(key, None)
        return True

    def _delete_message(self, params: Params) -> bool:
        chat = self._chat(params)
        message_id = params.integer("message_id", missing="message identifier is not specified")
        message = chat.live(message_id)
        if message is None:
            raise bad_request("message to delete not found")
        self._admit("deleteMessage", chat.id)
        message.deleted_at = time.monotonic()
        return True

    def _send_photo(self, params: Params) -> dict[str, Any]:
        chat = self._chat(params)
        photo = params.file("photo")
        if photo is None or photo == "":
            raise bad_request("there is no photo in the request")
        resent = None
        if isinstance(photo, str):  # a file_id this bot was given: the stored photo again
            resent = self._ladders.get(photo)
            if resent is None:
                raise bad_request("wrong file identifier/HTTP URL specified")
            photo = self._files[photo]
        caption = self._text(params, "caption", CAPTION_LIMIT, "message caption is too long")
        markup = reply_markup(params)
        size = None if resent else self._check_upload(photo)
        self._admit("sendPhoto", chat.id)
        message = chat.add(
            sender=self.bot_user,
            from_bot=True,
            caption=caption or None,
            photo=photo,
            reply_markup=markup,
        )
        ladder = resent or _new_ladder(_file_tag(message), len(photo), *(size or (1, 1)))
        message.photo_sizes = self._photo_sizes(message, photo, ladder)
        return message.to_json(chat.to_json())

    @staticmethod
    def _check_upload(photo: bytes) -> tuple[int, int]:
        """Telegram decodes every upload; returns (width, height)."""
        if not photo:
            raise bad_request("file must be non-empty")
        if len(photo) > PHOTO_LIMIT:
            raise bad_request("PHOTO_SAVE_FILE_INVALID")
        info = sniff(photo)
        if info is None:
            raise bad_request("IMAGE_PROCESS_FAILED")
        small, large = sorted((max(info.width, 1), max(info.height, 1)))
        if small + large > 10000 or large / small > 20:
            raise bad_request("PHOTO_INVALID_DIMENSIONS")
        return info.width, info.height

    def _photo_sizes(
        self, message: Message, data: bytes, ladder: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """The ladder as this message carries it: file_ids are new per message (they embed
        a file reference); file_unique_id belongs to the file and survives every re-send."""
        sizes = []
        for index, size in enumerate(ladder):
            file_id = f"AgACAgIAAxkDAAI{_file_tag(message)}{index}"
            self._files[file_id] = data
            self._ladders[file_id] = ladder
            self._sizes[file_id] = size
            sizes.append({"file_id": file_id, **size})
        return sizes

    def _get_file(self, params: Params) -> dict[str, Any]:
        """A File with the path to download it from. Paths belong to the file, not the id:
        every file_id of one file (each message has its own) gives the same path."""
        file_id = params.text("file_id") or ""
        if not file_id:
            raise bad_request("file_id not specified")
        size = self._sizes.get(file_id)
        if size is None:
            raise bad_request("invalid file_id")
        if size["file_size"] > DOWNLOAD_LIMIT:
            raise bad_request("file is too big")
        self._admit("getFile", None)
        unique_id = size["file_unique_id"]
        path = self._file_paths.get(unique_id)
        if path is None:
            path = f"photos/file_{len(self._file_paths)}.jpg"  # Telegram stores photos as JPEG
            self._file_paths[unique_id] = path
            self._served[path] = self._files[file_id]
        return {
            "file_id": file_id,
            "file_unique_id": unique_id,
            "file_size": size["file_size"],
            "file_path": path,
        }

    def _send_chat_action(self, params: Params) -> bool:
        chat = self._chat(params)
        action = params.text("action")
        if action not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        self._admit("sendChatAction", chat.id)
        chat.actions.append((time.monotonic(), action))
        return True
