"""What each user saw, judged per request (pure): one photo, one final error or rejection,
nothing (lost), or more than one ending (duplicated).

A chat's messages are attributed to its requests without help from Easel: photos by the
request's tag, which the caption quotes; the gateway's text messages (status or rejection)
by position, since a chat's updates are delivered one at a time, so every bot text message
between a user's message and their next one answers the first. The notifier sends no text
messages of its own; it edits the status message, sends the photo and deletes the status.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from easel.events import ErrorCode
from easel_devtools.chaos.plan import Request
from easel_devtools.standins import ChatMessage
from easel_gateway.catalog import ENGLISH
from easel_notifier import texts as notifier_texts

TAG = re.compile(r"chaos-\d+-\d+")  # Request.tag
PROGRESS = ("🎨 Enhancing prompt", "⏳ In ", "🖼️ Generating with", "📤 Sending")


class Vocabulary:
    """Every final text Easel can leave in a chat, mapped to a short kind."""

    def __init__(self, display_names: Iterable[str]) -> None:
        # The chaos run's users write in English.
        t = notifier_texts.texts_for("en")
        self._finals: dict[str, str] = {ENGLISH("queue-failed"): "queue_failed"}
        for name in display_names:
            for code in ErrorCode:
                self._finals[notifier_texts.failure(t, name, code)] = f"failed:{code.value}"
            self._finals[notifier_texts.cancelled(t, name)] = "cancelled"

    def kind(self, text: str) -> str:
        if text.startswith(PROGRESS):
            return "progress"
        if text in self._finals:
            return self._finals[text]
        if text.startswith("⏱️ Slow down"):
            return "rate_limited"
        return "other"


@dataclass(frozen=True)
class Sent:
    """A request as the users delivered it: the user's message and the webhook's answer."""

    request: Request
    message_id: int
    first_post: float  # time.monotonic() of the first POST
    answered: float | None  # when the webhook said 200; None: never, within patience
    posts: int  # POSTs it took (more than one: the gateway died or was down)


class PressKind(StrEnum):
    BUTTON = "button"  # "✖ Cancel" as the status showed it
    OLD_VIEW = "old view"  # the button was gone; the client had not updated yet
    NONE = "none"  # the status never showed the button (no press possible)


@dataclass(frozen=True)
class Press:
    """A user's cancel: how they pressed, and when the webhook said 200 (None: never)."""

    tag: str
    kind: PressKind
    answered: float | None

    @property
    def made(self) -> bool:
        return self.kind is not PressKind.NONE and self.answered is not None


@dataclass(frozen=True)
class Seen:
    sent: Sent
    photos: int
    finals: tuple[str, ...]  # kinds of the final texts, one per message that shows one
    progress_left: int  # status messages still showing progress (not deleted)
    status_messages: int  # text messages the gateway sent for this request
    ended_at: float | None  # monotonic: the first ending the user saw
    press: Press | None = None  # the user's cancel, if they made one

    @property
    def verdict(self) -> str:
        """photo | cancelled | error | rejected | lost | duplicated."""
        if self.photos > 1 or len(self.finals) > 1 or (self.photos and self.finals):
            return "duplicated"
        if self.photos == 1:
            return "photo"
        if not self.finals:
            return "lost"
        if self.finals[0] == "cancelled":
            return "cancelled"
        return "rejected" if self.finals[0] == "rate_limited" else "error"

    @property
    def unasked_cancel(self) -> bool:
        """Cancelled, though its user pressed nothing."""
        return "cancelled" in self.finals and not (self.press and self.press.made)

    @property
    def stray_status(self) -> bool:
        """A progress message left beside the real ending (e.g. a takeover's first status)."""
        return self.progress_left > 0 and self.verdict != "lost"

    @property
    def seconds(self) -> float | None:
        return None if self.ended_at is None else self.ended_at - self.sent.first_post


def judge_chat(
    sent: Sequence[Sent],
    messages: Sequence[ChatMessage],
    vocabulary: Vocabulary,
    presses: Mapping[str, Press] | None = None,
) -> list[Seen]:
    """`sent`: this chat's requests; `messages`: the chat as the Bot API stand-in holds it;
    `presses`: the users' cancels, by request tag."""
    by_id = sorted(sent, key=lambda s: s.message_id)
    starts = [s.message_id for s in by_id]
    texts: dict[int, list[ChatMessage]] = {s.message_id: [] for s in by_id}
    photos: Counter[str] = Counter()
    photo_times: dict[str, float] = {}
    for message in messages:
        if not message.from_bot:
            continue
        if message.photo is not None:
            tag = tag_in(message.caption or "")
            if tag is not None:
                photos[tag] += 1
                photo_times.setdefault(tag, message.created_at)
            continue
        owner = max((start for start in starts if start < message.message_id), default=None)
        if owner is not None:
            texts[owner].append(message)
    seen = []
    for s in by_id:
        finals, ended = [], photo_times.get(s.request.tag)
        progress = 0
        for message in texts[s.message_id]:
            kind = vocabulary.kind(message.text or "")
            if kind == "progress":
                progress += 0 if message.deleted else 1
                continue
            finals.append(kind)
            shown = _shown_at(message)
            ended = shown if ended is None else min(ended, shown)
        seen.append(
            Seen(
                sent=s,
                photos=photos[s.request.tag],
                finals=tuple(finals),
                progress_left=progress,
                status_messages=len(texts[s.message_id]),
                ended_at=ended,
                press=(presses or {}).get(s.request.tag),
            )
        )
    return seen


def judge(
    sent: Iterable[Sent],
    chats: Mapping[int, Sequence[ChatMessage]],
    vocabulary: Vocabulary,
    presses: Iterable[Press] = (),
) -> list[Seen]:
    per_chat: dict[int, list[Sent]] = {}
    for s in sent:
        per_chat.setdefault(s.request.chat, []).append(s)
    by_tag = {press.tag: press for press in presses}
    return [
        seen
        for chat, requests in per_chat.items()
        for seen in judge_chat(requests, chats.get(chat, []), vocabulary, by_tag)
    ]


def all_ended(seen: Iterable[Seen]) -> bool:
    return all(s.verdict != "lost" for s in seen)


def tag_in(text: str) -> str | None:
    """The request tag quoted in a caption or a worker's prompt."""
    found = TAG.search(text)
    return found.group() if found else None


def _shown_at(message: ChatMessage) -> float:
    """When the message first showed its current text (sent with it, or edited to it)."""
    for at, text in message.edits:
        if text == message.text:
            return at
    return message.created_at
