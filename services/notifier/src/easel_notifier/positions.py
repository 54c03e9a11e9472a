"""Queue positions, derived (pure): rank the jobs the generator has not been handed yet."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

T = TypeVar("T")


def positions(waiting: Mapping[int, T], delivered_seq: int) -> list[tuple[T, int]]:
    """Each job still waiting with its 1-based place in line.

    `waiting` maps stream sequence → job; the generator's consumer hands jobs out in
    stream order, so everything at or below its `delivered.stream_seq` has left the queue
    and the rest wait in sequence order.
    """
    ahead = sorted(seq for seq in waiting if seq > delivered_seq)
    return [(waiting[seq], place) for place, seq in enumerate(ahead, start=1)]
