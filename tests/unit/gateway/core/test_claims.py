"""The two-phase claim record and what a handler does on finding one (pure core)."""

from __future__ import annotations

import pytest

from easel_gateway.core import claims
from easel_gateway.core.claims import Claim, Duplicate, Mine, TakeOver, WaitUntil, judge

STALE = 30.0
ME, OTHER = "a1b2", "c3d4"


@pytest.mark.parametrize(
    "claim",
    [claims.pending(1_000.5, ME), claims.pending(1_000.5, ME, 42), claims.done(1_001.0, ME)],
    ids=["pending", "pending-with-status", "done"],
)
def test_a_claim_survives_the_round_trip(claim: Claim) -> None:
    assert claims.decode(claims.encode(claim)) == claim


def test_a_claim_from_before_holders_is_anyone_elses() -> None:
    found = claims.decode(b'{"state":"pending","at":1000.0,"status":7}')
    assert found == Claim("pending", 1_000.0, 7, "")
    assert judge(found, 1_010.0, STALE, ME) == WaitUntil(1_030.0)


@pytest.mark.parametrize(
    "raw",
    [
        b"claimed",
        b"",
        None,
        b"[]",
        b'{"state":"lost","at":1}',
        b'{"state":"pending"}',
        b'{"state":"pending","at":1,"holder":5}',
    ],
    ids=["one-phase-value", "empty", "none", "not-an-object", "unknown-state", "no-time", "holder"],
)
def test_an_unreadable_claim_counts_as_settled(raw: bytes | None) -> None:
    # Redoing a job whose record we cannot read could publish it twice; skipping cannot.
    assert judge(claims.decode(raw), now=1e12, stale_after=STALE, holder=ME) == Duplicate()


def test_a_settled_claim_is_a_duplicate_however_old() -> None:
    assert judge(claims.done(0.0, OTHER), now=1e9, stale_after=STALE, holder=ME) == Duplicate()


def test_a_fresh_pending_claim_is_waited_for_until_it_goes_stale() -> None:
    assert judge(claims.pending(1_000.0, OTHER, 7), 1_010.0, STALE, ME) == WaitUntil(1_030.0)


@pytest.mark.parametrize("now", [1_030.0, 5_000.0])
def test_a_stale_pending_claim_is_taken_over_with_its_status_message(now: float) -> None:
    assert judge(claims.pending(1_000.0, OTHER, 7), now, STALE, ME) == TakeOver(7)
    assert judge(claims.pending(1_000.0, OTHER), now, STALE, ME) == TakeOver(None)


@pytest.mark.parametrize("now", [1_000.0, 5_000.0])
def test_a_claim_this_handler_wrote_is_its_own_fresh_or_not(now: float) -> None:
    """A write whose answer was lost, found by its repeat: neither waited for nor taken."""
    assert judge(claims.pending(1_000.0, ME), now, STALE, ME) == Mine(None)
    assert judge(claims.pending(1_000.0, ME, 7), now, STALE, ME) == Mine(7)
