"""Which getUpdates offset is safe to confirm (pure).

Telegram forgets every update below the offset a poll sends. aiogram's own polling
confirms an update on its next poll while the update may still be handled, so a gateway
killed in between loses it. Here an update is confirmed only once it and every update
before it has been handled: a killed gateway's successor gets the unfinished ones again,
and the claims make a second handling harmless.
"""

from __future__ import annotations


class Offsets:
    def __init__(self) -> None:
        self._running: set[int] = set()
        self._finished: set[int] = set()  # handled, but behind one still running
        self._next: int | None = None  # one past the highest update seen

    def admit(self, update_id: int) -> bool:
        """True if the update is new; False if it is being handled or was handled already
        (Telegram returns every unconfirmed update on each poll)."""
        offset = self.offset
        if update_id in self._running or update_id in self._finished:
            return False
        if offset is not None and update_id < offset:
            return False  # confirmed already
        self._running.add(update_id)
        self._next = max(self._next or 0, update_id + 1)
        return True

    def finish(self, update_id: int) -> None:
        self._running.discard(update_id)
        self._finished.add(update_id)
        offset = self.offset or 0
        self._finished = {u for u in self._finished if u >= offset}

    @property
    def running(self) -> int:
        return len(self._running)

    @property
    def offset(self) -> int | None:
        """What the next poll sends: the oldest update still running, or one past the
        newest; None before the first update (Telegram then starts at the oldest kept)."""
        if self._running:
            return min(self._running)
        return self._next
