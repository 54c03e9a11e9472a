"""What a handler decides about a message; the consume loop applies it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple


class Reason(StrEnum):
    """Why a message was given up: a bounded set, so it can label a metric."""

    UNDECODABLE = "undecodable"  # not JSON, or not a JSON object
    UNSUPPORTED_VERSION = "unsupported_version"  # a schema_version this code does not know
    UNKNOWN_EVENT_TYPE = "unknown_event_type"  # an event this consumer does not take
    INVALID = "invalid"  # the right event, but its fields fail validation
    WRONG_SUBJECT = "wrong_subject"  # the body's event or model disagrees with its subject
    UNKNOWN_MODEL = "unknown_model"  # no model of that name is configured
    DEADLINE = "deadline"  # the job passed JOB_DEADLINE_SECONDS before it could be done
    MAX_DELIVERIES = "max_deliveries"  # processing failed on every allowed delivery


@dataclass(frozen=True)
class Ack:
    """Done: the message is not delivered again."""


@dataclass(frozen=True)
class Nak:
    """Not now: deliver again after `delay` seconds."""

    delay: float = 0.0


@dataclass(frozen=True)
class Term:
    """Never: the message can not be processed, whatever happens. It is dead-lettered."""

    reason: Reason
    detail: str = ""


Outcome = Ack | Nak | Term

ACK = Ack()


class Delivery(NamedTuple):
    """Where a message stands: its attempt number and its place in the stream."""

    subject: str
    attempt: int
    stream_seq: int
