"""Which of a render's progress reports become `image.progress` events (pure): about one a
second at most, and only on a real change."""

from __future__ import annotations

import time
from collections.abc import Callable

MIN_INTERVAL_SECONDS = 1.0


class ProgressGate:
    def __init__(
        self,
        interval: float = MIN_INTERVAL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._interval = interval
        self._clock = clock
        self._last: int | None = None
        self._last_at = float("-inf")

    def admit(self, percent: int) -> bool:
        """Whether to publish `percent` now: a new value, and the interval since the last."""
        now = self._clock()
        if percent == self._last or now - self._last_at < self._interval:
            return False
        self._last, self._last_at = percent, now
        return True
