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
    def texts(self) -> list[str]:
        """Every text the message showed, in order: as sent, then after each edit."""
        if not self.edits:
            return [self.text or ""]
        return [self.first_text or "", *(text for _, text in self.edits)]

    first_text: str | None = None
    photo_file_id: str | None = None  # the largest size's: what sends the photo again


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
    date: int = field(default_factory=lambda: int(time.time()))
    created_at: float = field(default_factory=time.monotonic)
    edits: list[tuple[float, str]] = field(default_factory=list)
    edit_date: int | None = None
    deleted_at: float | None = None
    first_text: str | None = None

    def __post_init__(self) -> None:
        self.first_text = self.text

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
        )

    def to_json(self, chat: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {
            "message_id": self.message_id,
            "from": self.sender,
            "chat": chat,
            "date": self.date,
        }
        optional = {
            "edit_date": self.edit_date,
            "text": self.text,
            "entities": self.entities,
            "photo": self.photo_sizes,
            "caption": self.caption,
        }
        out.update({key: value for key, value in optional.items() if value is not None})
        # Only inline keyboards are echoed back on messages.
        if isinstance(self.reply_markup, dict) and "inline_keyboard" in self.reply_markup:
            out["reply_markup"] = self.reply_markup
        return out


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
