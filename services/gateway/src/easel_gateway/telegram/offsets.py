"""Which getUpdates offset is safe to confirm (pure).

Telegram forgets every update below the offset a poll sends. aiogram's own polling
confirms an update on its next poll while the update may still be handled, so a gateway
killed in between loses it. Here an update is confirmed only once it and every update
before it has been handled: a killed gateway's successor gets the unfinished ones again,
and the claims make a second handling harmless.

One slow update must not hold everyone's back (a poll returns at most 100 updates from
the offset on): after `hold_seconds` it stops holding the offset. Past that a handler has
long since claimed its job; only one killed later still would be lost.
"""

from __future__ import annotations


class Offsets:
    def __init__(self, hold_seconds: float = 10.0) -> None:
        self._hold = hold_seconds
        self._running: dict[int, float] = {}  # update id → when its handling began
        self._finished: set[int] = set()  # handled, but behind one still holding
        self._next: int | None = None  # one past the highest update seen

    def admit(self, update_id: int, now: float) -> bool:
        """True if the update is new; False if it is being handled or was handled already
        (Telegram returns every unconfirmed update on each poll)."""
        offset = self.offset(now)
        if update_id in self._running or update_id in self._finished:
            return False
        if offset is not None and update_id < offset:
            return False  # confirmed already
        self._running[update_id] = now
        self._next = max(self._next or 0, update_id + 1)
        return True

    def finish(self, update_id: int, now: float) -> None:
        self._running.pop(update_id, None)
        self._finished.add(update_id)
        offset = self.offset(now) or 0
        self._finished = {u for u in self._finished if u >= offset}

    @property
    def running(self) -> int:
        return len(self._running)

    def offset(self, now: float) -> int | None:
        """What the next poll sends: the oldest update still holding, or one past the
        newest; None before the first update (Telegram then starts at the oldest kept)."""
        holding = [u for u, began in self._running.items() if now - began < self._hold]
        return min(holding) if holding else self._next
