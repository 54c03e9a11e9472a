"""Sliding-window rate limits on monotonic time, as Telegram applies them to bots."""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Hashable, Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Limit:
    key: Hashable  # e.g. ("bot",), ("chat", 42), ("group", -100)
    calls: int
    seconds: float


class SlidingWindows:
    def __init__(self) -> None:
        self._hits: dict[Hashable, deque[float]] = {}

    def _window(self, limit: Limit, now: float) -> deque[float]:
        hits = self._hits.setdefault(limit.key, deque())
        while hits and hits[0] <= now - limit.seconds:
            hits.popleft()
        return hits

    def retry_after(self, limits: Iterable[Limit], now: float) -> int:
        """0 if every window admits one more call, else whole seconds until all would."""
        wait = 0.0
        for limit in limits:
            hits = self._window(limit, now)
            if len(hits) >= limit.calls:
                # Admitted once the call `calls` places back leaves the window.
                wait = max(wait, hits[-limit.calls] + limit.seconds - now)
        return max(1, math.ceil(wait)) if wait > 0 else 0

    def record(self, limits: Iterable[Limit], now: float) -> None:
        for limit in limits:
            self._window(limit, now).append(now)
