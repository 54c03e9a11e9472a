"""What the Bot API stand-in remembers per chat, and the JSON Telegram would show for it."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any

_COMMAND = re.compile(r"^/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]+)?")


def utf16_len(text: str) -> int:
    """Telegram counts lengths and entity offsets in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def chat_type(chat_id: int) -> str:
    if chat_id > 0:
        return "private"
    # Supergroups and channels have ids -100xxxxxxxxxx; basic groups are small negatives.
    return "supergroup" if chat_id <= -1_000_000_000_000 else "group"


@dataclass(frozen=True)
class ChatMessage:
    """A snapshot of one message as the chat's participants see it."""

    chat_id: int
    message_id: int
    from_bot: bool
    text: str | None
    caption: str | None
    photo: bytes | None
    deleted: bool
    # (monotonic time, new text) per accepted edit
    edits: list[tuple[float, str]] = field(hash=False)
    created_at: float  # monotonic
    deleted_at: float | None
    reply_markup: Any = field(default=None, hash=False)

    @property
    def buttons(self) -> list[tuple[str, str | None]]:
        """(text, callback_data) per button of the inline keyboard shown now, row by row."""
        return [
            (b["text"], b.get("callback_data")) for row in _rows(self.reply_markup) for b in row
        ]

    @property
    def texts(self) -> list[str]:
        """Every text the message showed, in order: as sent, then after each edit."""
        if not self.edits:
            return [self.text or ""]
        return [self.first_text or "", *(text for _, text in self.edits)]

    first_text: str | None = None
    photo_file_id: str | None = None  # the largest size's: what sends the photo again
    reply_to_message_id: int | None = None  # the message this one answers, if any


@dataclass(frozen=True)
class Update:
    """A queued update; `message` is the exact JSON getUpdates delivers."""

    update_id: int
    chat_id: int
    message_id: int
    user_id: int
    text: str
    message: dict[str, Any] = field(hash=False)

    def to_json(self) -> dict[str, Any]:
        return {"update_id": self.update_id, "message": self.message}


@dataclass(frozen=True)
class CallbackPress:
    """A user's press of an inline button; `callback_query` is the JSON getUpdates delivers."""

    update_id: int
    callback_query_id: str
    chat_id: int
    message_id: int
    user_id: int
    data: str
    callback_query: dict[str, Any] = field(hash=False, repr=False)

    def to_json(self) -> dict[str, Any]:
        return {"update_id": self.update_id, "callback_query": self.callback_query}


@dataclass(frozen=True)
class CallbackAnswer:
    """One accepted answerCallbackQuery."""

    callback_query_id: str
    text: str | None
    show_alert: bool
    url: str | None
    cache_time: int
    answered_at: float  # monotonic


def _rows(markup: Any) -> list[list[dict[str, Any]]]:
    """The rows of an inline keyboard; [] for no markup or another kind of markup."""
    rows = markup.get("inline_keyboard") if isinstance(markup, dict) else None
    return rows if isinstance(rows, list) else []


@dataclass
class Message:
    chat_id: int
    message_id: int
    sender: dict[str, Any]
    from_bot: bool
    text: str | None = None
    caption: str | None = None
    photo: bytes | None = None
    photo_sizes: list[dict[str, Any]] | None = None
    reply_markup: Any = None
    entities: list[dict[str, Any]] | None = None
    caption_entities: list[dict[str, Any]] | None = None
    # The message this one replies to, in the same chat: shown as it is when serialised.
    reply_to: Message | None = field(default=None, repr=False, compare=False)
    date: int = field(default_factory=lambda: int(time.time()))
    created_at: float = field(default_factory=time.monotonic)
    edits: list[tuple[float, str]] = field(default_factory=list)
    edit_date: int | None = None
    deleted_at: float | None = None
    first_text: str | None = None
    # Every callback_data any of its keyboards ever showed: what a client with a stale
    # view of the message can still press.
    shown_callback_data: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.first_text = self.text
        self.set_markup(self.reply_markup)

    @property
    def inline_keyboard(self) -> dict[str, Any] | None:
        """The inline keyboard the message shows; other markups are not part of a message."""
        return self.reply_markup if _rows(self.reply_markup) else None

    def callback_data(self) -> list[str]:
        """callback_data of the buttons shown now."""
        rows = _rows(self.reply_markup)
        return [b["callback_data"] for row in rows for b in row if "callback_data" in b]

    def set_markup(self, markup: Any) -> None:
        self.reply_markup = markup
        self.shown_callback_data.update(self.callback_data())

    def snapshot(self) -> ChatMessage:
        return ChatMessage(
            chat_id=self.chat_id,
            message_id=self.message_id,
            from_bot=self.from_bot,
            text=self.text,
            caption=self.caption,
            photo=self.photo,
            deleted=self.deleted_at is not None,
            edits=list(self.edits),
            created_at=self.created_at,
            deleted_at=self.deleted_at,
            reply_markup=self.reply_markup,
            first_text=self.first_text,
            photo_file_id=self.photo_sizes[-1]["file_id"] if self.photo_sizes else None,
            reply_to_message_id=self.reply_to.message_id if self.reply_to else None,
        )

    def to_json(self, chat: dict[str, Any], *, with_reply: bool = True) -> dict[str, Any]:
        """The Message object; a replied-to message is nested one level only (Telegram never
        nests the reply's own reply) and left out once deleted, as Telegram leaves it out."""
        out: dict[str, Any] = {
            "message_id": self.message_id,
            "from": self.sender,
            "chat": chat,
            "date": self.date,
        }
        replied = self.reply_to
        if with_reply and replied is not None and replied.deleted_at is None:
            out["reply_to_message"] = replied.to_json(chat, with_reply=False)
        optional = {
            "edit_date": self.edit_date,
            "text": self.text,
            "entities": self.entities,
            "photo": self.photo_sizes,
            "caption": self.caption,
            "caption_entities": self.caption_entities,
        }
        out.update({key: value for key, value in optional.items() if value is not None})
        if self.inline_keyboard is not None:  # only inline keyboards are echoed back
            out["reply_markup"] = self.inline_keyboard
        return out

    def inaccessible_json(self, chat: dict[str, Any]) -> dict[str, Any]:
        """What Telegram shows of a message the bot can no longer access (date 0)."""
        return {"message_id": self.message_id, "chat": chat, "date": 0}


@dataclass
class Chat:
    id: int
    title: str  # first name of the user in private chats
    username: str | None = None
    next_message_id: int = 1
    messages: dict[int, Message] = field(default_factory=dict)
    actions: list[tuple[float, str]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        kind = chat_type(self.id)
        out: dict[str, Any] = {"id": self.id, "type": kind}
        out["first_name" if kind == "private" else "title"] = self.title
        if self.username:
            out["username"] = self.username
        return out

    def add(self, **fields: Any) -> Message:
        message = Message(chat_id=self.id, message_id=self.next_message_id, **fields)
        self.messages[message.message_id] = message
        self.next_message_id += 1
        return message

    def live(self, message_id: int) -> Message | None:
        message = self.messages.get(message_id)
        return message if message is not None and message.deleted_at is None else None


def command_entities(text: str) -> list[dict[str, Any]] | None:
    """Telegram marks a leading /command as a bot_command entity."""
    match = _COMMAND.match(text)
    if match is None:
        return None
    return [{"type": "bot_command", "offset": 0, "length": utf16_len(match.group())}]
