"""How long a job will take, from what the model's recent jobs took.

Per model, a moving average of generation times (the generator records each one in KV
`easel_service_times`, so every replica reads the same); from it, the position and the
model's capacity, when a waiting job's image should be ready, and how long a job at its
backend has left. No history, no estimate.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

from nats.js.errors import KeyNotFoundError, KeyWrongLastSequenceError
from nats.js.kv import KeyValue

_WEIGHT = 0.2  # of the newest sample: about the last ten jobs count
_CAS_ATTEMPTS = 20


@dataclass(frozen=True)
class ServiceTime:
    mean: float  # seconds
    samples: int


def updated(current: ServiceTime | None, seconds: float) -> ServiceTime:
    if current is None:
        return ServiceTime(seconds, 1)
    return ServiceTime(current.mean + _WEIGHT * (seconds - current.mean), current.samples + 1)


def ready_in(position: int, capacity: int, service: ServiceTime) -> float:
    """Seconds until a job waiting at `position` (1: next) has its image. A job waits only
    while every slot is busy; of `capacity` renders at random points of their course, the
    k-th ends after k/(capacity + 1) of one on average. Each later round of `capacity` jobs
    ahead adds a whole render, then comes its own."""
    rounds, k = divmod(position - 1, capacity)
    return (rounds + (k + 1) / (capacity + 1) + 1) * service.mean


def left(elapsed: float, service: ServiceTime) -> float:
    """Seconds a job at its backend for `elapsed` seconds has left, by the average; past it,
    a little more (it is slower than most, not done)."""
    return max(service.mean - elapsed, service.mean * 0.1)


def rounded(seconds: float) -> tuple[int, str]:
    """For people: whole seconds under ten, to the next 5 under a minute, then minutes."""
    if seconds < 9.5:
        return max(1, round(seconds)), "s"
    if seconds < 57.5:
        return 5 * round(seconds / 5), "s"
    return max(1, round(seconds / 60)), "min"


class ServiceTimes:
    def __init__(self, kv: KeyValue) -> None:
        self._kv = kv

    async def of(self, model: str) -> ServiceTime | None:
        try:
            entry = await self._kv.get(model)
        except KeyNotFoundError:
            return None
        return _decode(entry.value)

    async def record(self, model: str, seconds: float) -> None:
        """One more generation time, merged by compare-and-set (replicas record at once)."""
        if not (math.isfinite(seconds) and seconds >= 0):
            return
        for _ in range(_CAS_ATTEMPTS):
            try:
                entry = await self._kv.get(model)
            except KeyNotFoundError:
                entry = None
            value = json.dumps(vars(updated(_decode(entry.value) if entry else None, seconds)))
            try:
                if entry is None:
                    await self._kv.create(model, value.encode())
                else:
                    await self._kv.update(model, value.encode(), last=entry.revision)
            except KeyWrongLastSequenceError:
                continue
            return


def _decode(raw: bytes | None) -> ServiceTime | None:
    try:
        data = json.loads(raw or b"")
        return ServiceTime(float(data["mean"]), int(data["samples"]))
    except (ValueError, KeyError, TypeError):
        return None
