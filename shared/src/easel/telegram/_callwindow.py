"""A bot's Bot API calls as Telegram may count them: at most `calls` in any second.

The gateway and the notifier share one bot, each with its part of Telegram's ~30 calls/s,
and each counts its own calls here. A call counts from when it leaves until a second after
its answer: Telegram counted it somewhere in between, and a burst reaches it later than it
leaves. Pure: the caller reads the clock.
"""

from __future__ import annotations

from collections import deque

SECONDS = 1.0
# Float slack: a wakeup computed for "the window has room" must find the room there.
_EPSILON = 1e-9


class CallWindow:
    def __init__(self, calls: int) -> None:
        self.calls = max(1, calls)
        self._outstanding = 0
        self._answered: deque[float] = deque(maxlen=self.calls)  # more never matter

    def sent(self) -> None:
        self._outstanding += 1

    def answered(self, now: float) -> None:
        self._outstanding = max(0, self._outstanding - 1)
        self._answered.append(now)

    def unsent(self) -> None:
        """A call taken to send that did not leave after all: Telegram never counted it."""
        self._outstanding = max(0, self._outstanding - 1)

    def used(self, now: float) -> int:
        return self._outstanding + len(self._recent(now))

    def free_at(self, now: float, limit: int | None = None) -> float | None:
        """When fewer than `limit` (all `calls` by default) count: at or before `now` if so
        already, None if only the answer to a call in flight can make room."""
        recent = self._recent(now)
        excess = self._outstanding + len(recent) - (self.calls if limit is None else limit)
        if excess < 0:
            return now
        if excess >= len(recent):
            return None
        return recent[excess] + SECONDS + _EPSILON

    def _recent(self, now: float) -> list[float]:
        return [at for at in self._answered if at > now - SECONDS]
