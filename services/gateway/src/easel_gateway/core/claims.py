"""Two-phase job claims, the pure part: the stored record and what a handler does on
finding one. No I/O; `stores.claims.JobClaims` applies it with compare-and-set.

Why two phases: a claim that was final at once (create, then publish) lost the job when a
replica died between the two, and the redelivered update was dropped as a duplicate. Now
a claim is "pending" until the request is settled (published, or refused), and a pending
claim whose holder made no step for `stale_after` seconds is taken over by the redelivery.
The status message id is recorded before publishing, so a takeover reuses the message
the user already sees instead of sending a second one. Every step is a compare-and-set on
the revision its holder wrote, so a slow holder that was taken over notices and stops;
if both publish anyway, `Nats-Msg-Id` drops the second copy. Every record names the
handler that wrote it (`holder`), so a write whose answer was lost (a server restart) can
be repeated: the repeat recognises its own record instead of taking it for another's.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal

State = Literal["pending", "done"]


@dataclass(frozen=True)
class Claim:
    state: State
    at: float  # wall-clock time of the holder's last step
    status_message_id: int | None = None  # set once the status message was sent
    holder: str = ""  # the handler that wrote it; "" in records from before holders


def pending(now: float, holder: str, status_message_id: int | None = None) -> Claim:
    return Claim("pending", now, status_message_id, holder)


def done(now: float, holder: str) -> Claim:
    return Claim("done", now, None, holder)


def encode(claim: Claim) -> bytes:
    record = {
        "state": claim.state,
        "at": claim.at,
        "status": claim.status_message_id,
        "holder": claim.holder,
    }
    return json.dumps(record, separators=(",", ":")).encode()


def decode(raw: bytes | None) -> Claim:
    """Anything unreadable (e.g. the one-phase b"claimed") counts as settled: never redo it."""
    try:
        record = json.loads(raw or b"")
        state, at, status = record["state"], float(record["at"]), record.get("status")
    except (ValueError, TypeError, KeyError):
        return done(0.0, "")
    holder = record.get("holder", "")
    if state not in ("pending", "done") or not (status is None or isinstance(status, int)):
        return done(0.0, "")
    if not isinstance(holder, str):
        return done(0.0, "")
    return Claim(state, at, status, holder)


@dataclass(frozen=True)
class Duplicate:
    """Settled by someone: nothing to do."""


@dataclass(frozen=True)
class TakeOver:
    """The holder went silent: continue its request, keeping its status message."""

    status_message_id: int | None


@dataclass(frozen=True)
class WaitUntil:
    """Another handler is on it right now: see again when it settles or at `deadline`."""

    deadline: float


@dataclass(frozen=True)
class Mine:
    """This handler's own claim: an earlier try wrote it, and its answer was lost."""

    status_message_id: int | None


Verdict = Duplicate | TakeOver | WaitUntil | Mine


def judge(found: Claim, now: float, stale_after: float, holder: str) -> Verdict:
    if found.state == "done":
        return Duplicate()
    if found.holder == holder:
        return Mine(found.status_message_id)
    deadline = found.at + stale_after
    if now >= deadline:
        return TakeOver(found.status_message_id)
    return WaitUntil(deadline)
