"""The circuit breaker at work: attempts wait for a model's circuit, report their verdicts,
and the state shows in `easel_circuit_open{model}` and in the logs.

While the circuit is open, a job that needs an attempt waits here with its message leased
(in-progress acks), up to its deadline; the jobs behind it wait in JetStream, because the
consumer's max_ack_pending = capacity is all taken. Nothing is burned through a dead backend.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable

import structlog

from . import metrics
from .circuit import Circuit, Permit, State, Wait

log = structlog.get_logger("easel_generator")


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
    ) -> None:
        self._model = model
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
