"""The circuit breaker of one model's backend, as a pure state machine (the clock is injected).

    closed ──(threshold consecutive failed attempts)──► open ──(open_seconds)──► half-open
      ▲                                                  ▲                           │
      └───────────── the trial attempt succeeded ────────┴── the trial attempt failed ┘

A failed attempt is one the backend did not really answer: 5xx, network error, timeout.
Any other answer (an image, 4xx, 429) proves the backend is up. While open, no attempt is
admitted; half-open admits exactly one, the trial, and everyone else waits for its verdict.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum


class State(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


@dataclass(frozen=True)
class Permit:
    """One attempt may go to the backend; `trial` when it decides a half-open circuit."""

    trial: bool


@dataclass(frozen=True)
class Wait:
    """No attempt now: ask again in `seconds`, or (None) once the trial's verdict is in."""

    seconds: float | None


class Circuit:
    def __init__(self, *, threshold: int, open_seconds: float, clock: Callable[[], float]) -> None:
        if threshold < 1 or open_seconds <= 0:
            raise ValueError("the threshold must be ≥ 1 and the open time > 0")
        self._threshold = threshold
        self._open_seconds = open_seconds
        self._clock = clock
        self._state = State.CLOSED
        self._failures = 0
        self._reopen_at = 0.0
        self._trial_out = False

    @property
    def state(self) -> State:
        if self._state is State.OPEN and self._clock() >= self._reopen_at:
            return State.HALF_OPEN
        return self._state

    def admit(self) -> Permit | Wait:
        state = self.state
        if state is State.CLOSED:
            return Permit(trial=False)
        if state is State.OPEN:
            return Wait(self._reopen_at - self._clock())
        if self._trial_out:
            return Wait(None)
        self._state, self._trial_out = State.HALF_OPEN, True
        return Permit(trial=True)

    def record(self, permit: Permit, *, ok: bool) -> None:
        """The verdict of an admitted attempt."""
        if permit.trial:
            self._trial_out = False
        if ok:
            # Even a straggler admitted before the circuit opened proves the backend is up.
            self._state, self._failures = State.CLOSED, 0
        elif self._state is State.CLOSED:
            self._failures += 1
            if self._failures >= self._threshold:
                self._open()
        elif permit.trial:
            self._open()
        # else: a straggler's failure while already open or half-open says nothing new.

    def release(self, permit: Permit) -> None:
        """An admitted attempt that was never made (shutdown): its trial goes to another."""
        if permit.trial:
            self._trial_out = False

    def _open(self) -> None:
        self._state, self._failures, self._trial_out = State.OPEN, 0, False
        self._reopen_at = self._clock() + self._open_seconds
