"""`BotApiStandin`: api.telegram.org for one bot, with Telegram's limits and error wording.

Serves `{base}/bot{token}/{method}` (aiogram: `TelegramAPIServer.from_base(base)`).
Tests play the users (`send_user_message`) and read what the bot did (`messages`,
`photos`, counters). Text is stored as users see it: HTML tags removed when
`parse_mode=HTML`, which is also what the length limits count.
"""

from __future__ import annotations

import html
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from easel_devtools.standins._botchats import (
    Chat,
    ChatMessage,
    Message,
    Update,
    command_entities,
    utf16_len,
)
from easel_devtools.standins._botparams import ApiError, Params, bad_request, read_params
from easel_devtools.standins._flood import Limit, SlidingWindows
from easel_devtools.standins._server import StandinServer
from easel_devtools.standins.images import sniff

DEFAULT_TOKEN = "123456789:STANDIN-token"
TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
PHOTO_LIMIT = 10 * 1024 * 1024
UPLOAD_LIMIT = 50 * 1024 * 1024  # Telegram's multipart ceiling; aiohttp answers 413 above
# Not rate limited at all; everything else counts against the bot-wide limit.
UNLIMITED = frozenset({"getUpdates", "getMe", "deleteWebhook", "setWebhook"})
# Telegram's "1 message per second per chat" covers sending and editing messages.
PER_CHAT = frozenset({"sendMessage", "sendPhoto", "editMessageText"})
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
_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly"
    " the same as a current content and reply markup of the message"
)
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


def _visible(text: str | None, parse_mode: str | None) -> str | None:
    if text is None or not parse_mode or parse_mode.lower() != "html":
        return text
    return html.unescape(re.sub(r"<[^>]*>", "", text))


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
    ) -> None:
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
        self._files: dict[str, bytes] = {}
        self._calls: Counter[str] = Counter()
        self._responses: Counter[tuple[str, int]] = Counter()
        self._retry_after_count = 0
        self._bad_requests: list[tuple[str, str]] = []
        self._methods: dict[str, Callable[[Params], Any]] = {
            "getMe": self._get_me,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "deleteMessage": self._delete_message,
            "sendPhoto": self._send_photo,
            "sendChatAction": self._send_chat_action,
            "getUpdates": lambda _: None,  # async; see _handle
        }
        self._canonical = {name.lower(): name for name in self._methods}
        for chat_id in chats:
            self._ensure_chat(chat_id, None)

    def build_app(self) -> web.Application:
        app = web.Application(client_max_size=UPLOAD_LIMIT)
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
    ) -> Update:
        """A user writes `text` in `chat_id`; queued for getUpdates. Unknown chats are created."""
        uid = chat_id if user_id is None else user_id
        if uid <= 0:
            raise ValueError("messages in groups need a positive user_id")
        user: dict[str, Any] = {"id": uid, "is_bot": False, "first_name": f"User{uid}"}
        if username:
            user["username"] = username
        if language_code:
            user["language_code"] = language_code
        with self._lock:
            chat = self._ensure_chat(chat_id, user)
            message = chat.add(
                sender=user, from_bot=False, text=text, entities=command_entities(text)
            )
            update = self._queue(message.to_json(chat.to_json()))
            self._changed()
            return update

    def add_chat(self, chat_id: int) -> None:
        """Make a chat known without a user message (the bot may write there)."""
        with self._lock:
            self._ensure_chat(chat_id, None)
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
            return (
                f"calls={dict(self._calls)} pending_updates={len(self._updates)} "
                f"messages_per_chat={chats} 429s={self._retry_after_count} "
                f"bad_requests={self._bad_requests[-3:]}"
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

    def _queue(self, message: dict[str, Any]) -> Update:
        update_id = self._next_update_id
        self._next_update_id += 1
        self._updates.append({"update_id": update_id, "message": message})
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
            return web.json_response(
                {"ok": False, "error_code": 404, "description": "Not Found"}, status=404
            )
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
        self._admit("sendMessage", chat.id)
        message = chat.add(
            sender=self.bot_user, from_bot=True, text=text, reply_markup=params.obj("reply_markup")
        )
        return message.to_json(chat.to_json())

    def _edit_message_text(self, params: Params) -> dict[str, Any]:
        chat = self._chat(params)
        message_id = params.integer("message_id", missing="message identifier is not specified")
        text = self._text(params, "text", TEXT_LIMIT, "message is too long")
        if not text or not text.strip():
            raise bad_request("message text is empty")
        message = chat.live(message_id)
        if message is None:
            raise bad_request("message to edit not found")
        if not message.from_bot:
            raise bad_request("message can't be edited")
        if message.text is None:
            raise bad_request("there is no text in the message to edit")
        markup = params.obj("reply_markup")
        if text == message.text and markup == message.reply_markup:
            raise bad_request(_NOT_MODIFIED)
        self._admit("editMessageText", chat.id)
        message.text, message.reply_markup = text, markup
        message.edits.append((time.monotonic(), text))
        message.edit_date = int(time.time())
        return message.to_json(chat.to_json())

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
        if isinstance(photo, str):
            if photo not in self._files:
                raise bad_request("wrong file identifier/HTTP URL specified")
            photo = self._files[photo]
        caption = self._text(params, "caption", CAPTION_LIMIT, "message caption is too long")
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
        self._admit("sendPhoto", chat.id)
        message = chat.add(
            sender=self.bot_user,
            from_bot=True,
            caption=caption or None,
            photo=photo,
            reply_markup=params.obj("reply_markup"),
        )
        message.photo_sizes = self._photo_sizes(message, photo, info.width, info.height)
        return message.to_json(chat.to_json())

    def _photo_sizes(
        self, message: Message, data: bytes, width: int, height: int
    ) -> list[dict[str, Any]]:
        """Telegram re-encodes to a ladder of sizes; the largest is the full picture."""
        longest = max(width, height, 1)
        ladder = [side for side in (90, 320, 800, 1280) if side < longest] + [min(longest, 2560)]
        sizes = []
        for index, side in enumerate(ladder):
            scale = side / longest
            tag = f"{message.chat_id & 0xFFFFFF:06x}{message.message_id:06d}{index}"
            file_id = f"AgACAgIAAxkDAAI{tag}"
            self._files[file_id] = data
            is_full = index == len(ladder) - 1
            sizes.append(
                {
                    "file_id": file_id,
                    "file_unique_id": f"AQAD{tag}",
                    "width": max(1, round(width * scale)),
                    "height": max(1, round(height * scale)),
                    "file_size": len(data) if is_full else max(1, len(data) * side // longest),
                }
            )
        return sizes

    def _send_chat_action(self, params: Params) -> bool:
        chat = self._chat(params)
        action = params.text("action")
        if action not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        self._admit("sendChatAction", chat.id)
        chat.actions.append((time.monotonic(), action))
        return True
