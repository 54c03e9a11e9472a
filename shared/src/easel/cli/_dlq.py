"""`easel dlq list | replay`: the dead letters, and publishing them again once fixed.

Replay is for after the cause is fixed (a deployed decoder for a new schema version, a model
configured at last, a backend repaired): it publishes the original body to its original
subject with a fresh Nats-Msg-Id, so dedupe does not drop it. Letters dead-lettered for
`deadline` or `unknown_model` were already reported to their user as failed.
"""

from __future__ import annotations

import sys
import uuid
from collections import deque
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from nats.js import JetStreamContext
from nats.js.api import RawStreamMsg
from nats.js.errors import NotFoundError

from easel import bus
from easel.cli._connect import connect_once

H = bus.DlqHeader
_ALL = "dlq.>"


@dataclass(frozen=True)
class Row:
    seq: int
    consumer: str
    subject: str
    reason: str
    given_up_at: datetime | None


def row(msg: RawStreamMsg) -> Row:
    headers = msg.headers or {}
    try:
        when: datetime | None = datetime.fromisoformat(headers.get(H.TIME, ""))
    except ValueError:
        when = msg.time
    return Row(
        seq=msg.seq or 0,
        consumer=headers.get(H.CONSUMER, "?"),
        subject=headers.get(H.SUBJECT, "?"),
        reason=headers.get(H.REASON, "?"),
        given_up_at=when,
    )


def age(seconds: float) -> str:
    for unit, size in (("d", 86_400), ("h", 3_600), ("m", 60)):
        if seconds >= size:
            return f"{int(seconds // size)}{unit}"
    return f"{max(int(seconds), 0)}s"


def table(rows: Iterable[Row], now: datetime) -> str:
    lines = [("seq", "consumer", "original subject", "reason", "age")]
    for r in rows:
        shown = age((now - r.given_up_at).total_seconds()) if r.given_up_at else "?"
        lines.append((str(r.seq), r.consumer, r.subject, r.reason, shown))
    widths = [max(len(line[i]) for line in lines) for i in range(5)]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in lines
    )


async def list_letters(limit: int) -> int:
    js, close = await connect_once("easel dlq list")
    try:
        last = await _last_seq(js)
        if last is None:
            return 0
        shown: deque[Row] = deque(maxlen=limit)
        total = 0
        async for msg in _letters(js, last):
            shown.append(row(msg))
            total += 1
        print(table(shown, datetime.now(UTC)))
        print(f"{total} letter(s) in {bus.DLQ}; showing the last {len(shown)}", file=sys.stderr)
        return 0
    finally:
        await close()


async def replay(seqs: list[int], every: bool, delete: bool) -> int:
    js, close = await connect_once("easel dlq replay")
    failed = 0
    try:
        last = await _last_seq(js)
        if last is None:
            return 0
        print("replaying: this is for after the cause was fixed", file=sys.stderr)
        # Fixed before publishing anything: a replayed message that fails again makes a new
        # letter past `last`, which this run must not pick up.
        letters = [m async for m in _letters(js, last)] if every else await _picked(js, seqs)
        for msg in letters:
            failed += not await _replay_one(js, msg, delete)
        return 1 if failed else 0
    finally:
        await close()


async def _replay_one(js: JetStreamContext, msg: RawStreamMsg, delete: bool) -> bool:
    headers = msg.headers or {}
    subject = headers.get(H.SUBJECT)
    if not subject:
        print(f"{msg.seq}: no {H.SUBJECT} header; not a letter, skipped", file=sys.stderr)
        return False
    original = {k: v for k, v in headers.items() if not k.startswith(H.PREFIX)}
    original["Nats-Msg-Id"] = f"replay:{uuid.uuid4().hex}"
    try:
        ack = await js.publish(subject, msg.data or b"", headers=original)
    except Exception as error:  # one refused letter must not stop the others
        print(f"{msg.seq}: not replayed to {subject}: {error}", file=sys.stderr)
        return False
    if delete:
        await js.delete_msg(bus.DLQ, msg.seq or 0)
    gone = ", deleted from the DLQ" if delete else ""
    print(f"{msg.seq}: replayed to {subject} (stream seq {ack.seq}){gone}")
    return True


async def _picked(js: JetStreamContext, seqs: list[int]) -> list[RawStreamMsg]:
    picked = []
    for seq in seqs:
        try:
            picked.append(await js.get_msg(bus.DLQ, seq))
        except NotFoundError:
            print(f"{seq}: no such letter in {bus.DLQ}", file=sys.stderr)
    return picked


async def _letters(js: JetStreamContext, last: int) -> AsyncIterator[RawStreamMsg]:
    seq = 1
    while seq <= last:
        try:
            msg = await js.get_msg(bus.DLQ, seq=seq, subject=_ALL, next=True)
        except NotFoundError:
            return
        if (msg.seq or 0) > last:
            return
        yield msg
        seq = (msg.seq or seq) + 1


async def _last_seq(js: JetStreamContext) -> int | None:
    try:
        info = await js.stream_info(bus.DLQ)
    except NotFoundError:
        print(f"no dead letters: stream {bus.DLQ} does not exist yet", file=sys.stderr)
        return None
    return int(info.state.last_seq)
