"""The per-user sliding-window decision, and its stored form. Pure: no I/O, no clock."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from typing import NamedTuple


class Decision(NamedTuple):
    allowed: bool
    timestamps: tuple[float, ...]  # what to store: the window's requests, plus this one if allowed
    retry_after: float  # seconds until one more request would be allowed; 0 when allowed


def decide(timestamps: Iterable[float], now: float, limit: int, window: float) -> Decision:
    """Allow at most `limit` requests in any `window` seconds. A refused request is not
    recorded, so hammering the bot does not extend the wait."""
    recent = sorted(t for t in timestamps if t > now - window)
    if len(recent) < limit:
        return Decision(True, (*recent, now), 0.0)
    # The next slot opens when enough of the oldest requests have left the window.
    frees_at = recent[len(recent) - limit] + window
    return Decision(False, tuple(recent), max(frees_at - now, 0.0))


def encode(timestamps: Iterable[float]) -> bytes:
    return json.dumps([round(t, 3) for t in timestamps]).encode()


def decode(raw: bytes | None) -> list[float]:
    """Stored timestamps; anything unreadable counts as no history rather than an error."""
    try:
        values = json.loads(raw or b"[]")
    except ValueError:
        return []
    if not isinstance(values, list):
        return []
    return [t for t in map(_timestamp, values) if t is not None]


def _timestamp(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None
