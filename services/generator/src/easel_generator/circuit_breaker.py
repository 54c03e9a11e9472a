"""A model's circuit breaker: the pure state machine, and the breaker attempts go through.

    closed ──(threshold consecutive failed attempts)──► open ──(open_seconds)──► half-open
      ▲                                                  ▲                           │
      └───────────── the trial attempt succeeded ────────┴── the trial attempt failed ┘

A failed attempt is one the backend did not really answer: 5xx, network error, timeout.
Any other answer (an image, 4xx, 429) proves the backend is up. While open, no attempt is
admitted; half-open admits exactly one, the trial, and everyone else waits for its verdict.

`Circuit` decides (no I/O, the clock injected); `Breaker` makes attempts wait for it, takes
their verdicts, and shows the state in `easel_circuit_open{model}` and in the logs. While
the circuit is open, a job that needs an attempt waits here with its message leased
(in-progress acks), up to its deadline; the jobs behind it wait in JetStream, because the
consumer's max_ack_pending = capacity is all taken. Nothing is burned through a dead backend.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from enum import StrEnum

import structlog

from easel_generator import metrics

log = structlog.get_logger("easel.generator")


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


class Slot:
    """An admitted attempt; `record` its verdict once."""

    def __init__(self, breaker: Breaker, permit: Permit) -> None:
        self._breaker = breaker
        self.permit = permit
        self.recorded = False

    async def record(self, *, ok: bool) -> None:
        self.recorded = True
        await self._breaker.record(self.permit, ok=ok)


class Breaker:
    def __init__(
        self,
        model: str,
        *,
        threshold: int,
        open_seconds: float,
        clock: Callable[[], float] = time.monotonic,
        on_change: Callable[[State], None] | None = None,
    ) -> None:
        """`on_change`: told each new state (the composition root shares it for /stats)."""
        self._model = model
        self._on_change = on_change
        self._clock = clock
        self._circuit = Circuit(threshold=threshold, open_seconds=open_seconds, clock=clock)
        self._changed = asyncio.Condition()
        self._shown = State.CLOSED
        metrics.CIRCUIT_OPEN.labels(model).set(0)

    @property
    def down(self) -> bool:
        """Open or half-open: the backend is considered down."""
        return self._circuit.state is not State.CLOSED

    @contextlib.asynccontextmanager
    async def slot(self, until: float | None = None) -> AsyncIterator[Slot | None]:
        """Wait for the circuit to admit one attempt; None once `until` (monotonic) passed."""
        permit = await self._admit(until)
        if permit is None:
            yield None
            return
        self._show()
        slot = Slot(self, permit)
        try:
            yield slot
        finally:
            if not slot.recorded:
                self._circuit.release(permit)
                await self._notify()

    async def _admit(self, until: float | None) -> Permit | None:
        async with self._changed:
            while isinstance(decision := self._circuit.admit(), Wait):
                timeout = decision.seconds
                if until is not None:
                    left = until - self._clock()
                    if left <= 0:
                        return None
                    timeout = left if timeout is None else min(timeout, left)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), timeout)
            return decision

    async def record(self, permit: Permit, *, ok: bool) -> None:
        self._circuit.record(permit, ok=ok)
        self._show()
        await self._notify()  # waiters re-check at once

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    def _show(self) -> None:
        state = self._circuit.state
        if state is self._shown:
            return
        say = log.warning if state is State.OPEN else log.info
        say("generator.circuit_changed", model=self._model, was=self._shown, now=state)
        metrics.CIRCUIT_OPEN.labels(self._model).set(int(self.down))
        self._shown = state
        if self._on_change is not None:
            self._on_change(state)
