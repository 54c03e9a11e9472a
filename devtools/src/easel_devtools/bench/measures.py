"""Figures derived from what the stand-ins recorded (pure: records in, numbers out)."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

from easel_devtools.standins import ChatMessage, Job

POSITION_MARK = "queue: position"  # as in "⏳ In FLUX queue: position 3"


def handoff_gaps(jobs: Sequence[Job]) -> list[float]:
    """Seconds from the backend finishing job N to receiving job N+1 (jobs in order received)."""
    return [
        later.received_at - earlier.finished_at
        for earlier, later in itertools.pairwise(jobs)
        if earlier.finished_at is not None
    ]


def span(jobs: Sequence[Job]) -> float:
    """Wall time from the first job's start to the last one's end."""
    starts = [j.started_at for j in jobs if j.started_at is not None]
    ends = [j.finished_at for j in jobs if j.finished_at is not None]
    return max(ends) - min(starts) if starts and ends else 0.0


@dataclass(frozen=True)
class Shown:
    """One text a status message showed, and for how long."""

    text: str
    since: float
    until: float


def timeline(message: ChatMessage, end: float) -> list[Shown]:
    """Each text of a message with the time it stayed (until the next edit, deletion or `end`)."""
    times = [message.created_at, *(at for at, _ in message.edits)]
    last = message.deleted_at if message.deleted_at is not None else end
    untils = [*times[1:], last]
    return [Shown(t, s, u) for t, s, u in zip(message.texts, times, untils, strict=True)]


def status_messages(messages: Sequence[ChatMessage]) -> list[ChatMessage]:
    """The bot's text messages in a chat: the status messages the gateway sent."""
    return [m for m in messages if m.from_bot and m.photo is None]


def position_ages(
    messages: Sequence[ChatMessage], end: float, moving_since: float = -math.inf
) -> list[float]:
    """How long each queue-position text stayed before it was replaced or removed, counted
    from when the queue started moving (a position shown while nothing moves is current)."""
    return [
        shown.until - max(shown.since, moving_since)
        for message in status_messages(messages)
        for shown in timeline(message, end)
        if POSITION_MARK in shown.text and shown.until > moving_since
    ]


def end_to_end(messages: Sequence[ChatMessage]) -> float | None:
    """From the user's message to the photo the bot sent (the stand-in's clock)."""
    asked = next((m.created_at for m in messages if not m.from_bot), None)
    photo = next((m.created_at for m in messages if m.from_bot and m.photo is not None), None)
    return None if asked is None or photo is None else photo - asked
