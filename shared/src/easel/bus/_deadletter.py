"""Dead letters: a message given up is kept in EASEL_DLQ with why, where from and when.

A letter is the original body and headers, published on `dlq.<consumer>` with `Easel-Dlq-*`
headers added. `easel dlq list` shows them; `easel dlq replay` publishes the body again.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

import nats.errors
import structlog
from nats.js import JetStreamContext

from easel.bus._outcome import Reason
from easel.bus._topology import dlq_subject
from easel.telemetry import metrics

log = structlog.get_logger("easel.bus")


class DlqHeader:
    """The headers a letter carries beside the original ones."""

    PREFIX = "Easel-Dlq-"
    REASON = "Easel-Dlq-Reason"  # a bus.Reason value
    DETAIL = "Easel-Dlq-Detail"
    SUBJECT = "Easel-Dlq-Subject"  # where the original was published
    STREAM = "Easel-Dlq-Stream"
    SEQUENCE = "Easel-Dlq-Sequence"  # the original's sequence in that stream
    CONSUMER = "Easel-Dlq-Consumer"
    DELIVERIES = "Easel-Dlq-Deliveries"
    TIME = "Easel-Dlq-Time"  # when it was given up, ISO 8601 UTC


_UNPRINTABLE = re.compile(r"[^\x20-\x7e]")
_DETAIL_CHARS = 300


@dataclass(frozen=True)
class Letter:
    consumer: str
    stream: str
    subject: str
    stream_seq: int
    deliveries: int
    reason: Reason
    detail: str
    data: bytes
    headers: Mapping[str, str] | None = None

    def dlq_headers(self, now: datetime) -> dict[str, str]:
        # Nats-* headers steer the server (dedupe, expected sequence …): they must not act
        # on the letter's own publish, and replay sets a fresh Nats-Msg-Id anyway.
        kept = {k: v for k, v in (self.headers or {}).items() if not k.startswith("Nats-")}
        return kept | {
            DlqHeader.REASON: self.reason.value,
            DlqHeader.DETAIL: header_value(self.detail)[:_DETAIL_CHARS],
            DlqHeader.SUBJECT: self.subject,
            DlqHeader.STREAM: self.stream,
            DlqHeader.SEQUENCE: str(self.stream_seq),
            DlqHeader.CONSUMER: self.consumer,
            DlqHeader.DELIVERIES: str(self.deliveries),
            DlqHeader.TIME: now.isoformat(),
            # One letter per message and consumer, however often it is given up.
            "Nats-Msg-Id": f"dlq:{self.consumer}:{self.stream}:{self.stream_seq}",
        }


def header_value(text: str) -> str:
    """Header-safe text: a detail may quote field names taken from a poison body."""
    return _UNPRINTABLE.sub("?", text)


async def dead_letter(js: JetStreamContext, letter: Letter) -> bool:
    """Store the letter; False (logged) when it could not be stored, so the caller keeps the
    original message instead of losing it."""
    try:
        ack = await js.publish(
            dlq_subject(letter.consumer),
            letter.data,
            headers=letter.dlq_headers(datetime.now(UTC)),
        )
    except nats.errors.Error as error:
        log.error(
            "bus.dead_letter_failed",
            consumer=letter.consumer,
            stream_seq=letter.stream_seq,
            reason=letter.reason.value,
            error=repr(error),
        )
        return False
    if not ack.duplicate:
        metrics.DEAD_LETTERS.labels(letter.consumer, letter.reason.value).inc()
    log.error(
        "bus.dead_lettered",
        consumer=letter.consumer,
        subject=letter.subject,
        stream_seq=letter.stream_seq,
        deliveries=letter.deliveries,
        reason=letter.reason.value,
        detail=letter.detail,
        dlq_seq=ack.seq,
    )
    return True
