"""The two-phase claim record and what a handler does on finding one (pure core)."""

from __future__ import annotations

import pytest

from easel_gateway import claims
from easel_gateway.claims import Claim, Duplicate, TakeOver, WaitUntil, judge

STALE = 30.0


@pytest.mark.parametrize(
    "claim",
    [claims.pending(1_000.5), claims.pending(1_000.5, 42), claims.done(1_001.0)],
    ids=["pending", "pending-with-status", "done"],
)
def test_a_claim_survives_the_round_trip(claim: Claim) -> None:
    assert claims.decode(claims.encode(claim)) == claim


@pytest.mark.parametrize(
    "raw",
    [b"claimed", b"", None, b"[]", b'{"state":"lost","at":1}', b'{"state":"pending"}'],
    ids=["one-phase-value", "empty", "none", "not-an-object", "unknown-state", "no-time"],
)
def test_an_unreadable_claim_counts_as_settled(raw: bytes | None) -> None:
    # Redoing a job whose record we cannot read could publish it twice; skipping cannot.
    assert judge(claims.decode(raw), now=1e12, stale_after=STALE) == Duplicate()


def test_a_settled_claim_is_a_duplicate_however_old() -> None:
    assert judge(claims.done(0.0), now=1e9, stale_after=STALE) == Duplicate()


def test_a_fresh_pending_claim_is_waited_for_until_it_goes_stale() -> None:
    assert judge(claims.pending(1_000.0, 7), 1_010.0, STALE) == WaitUntil(1_030.0)


@pytest.mark.parametrize("now", [1_030.0, 5_000.0])
def test_a_stale_pending_claim_is_taken_over_with_its_status_message(now: float) -> None:
    assert judge(claims.pending(1_000.0, 7), now, STALE) == TakeOver(7)
    assert judge(claims.pending(1_000.0), now, STALE) == TakeOver(None)
