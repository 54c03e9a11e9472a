"""What a handler decides about a message; the consume loop applies it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple


@dataclass(frozen=True)
class Ack:
    """Done: the message is not delivered again."""


@dataclass(frozen=True)
class Nak:
    """Not now: deliver again after `delay` seconds."""

    delay: float = 0.0


@dataclass(frozen=True)
class Term:
    """Never: the message can not be processed, whatever happens."""

    reason: str


Outcome = Ack | Nak | Term

ACK = Ack()


class Delivery(NamedTuple):
    """Where a message stands: its attempt number and its place in the stream."""

    subject: str
    attempt: int
    stream_seq: int
