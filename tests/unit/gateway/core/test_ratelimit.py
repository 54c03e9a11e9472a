"""The sliding-window decision and the stored form of a user's window."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from easel_gateway.core.ratelimit import Decision, decide, decode, encode


def test_first_request_is_allowed_and_recorded() -> None:
    assert decide([], 100.0, 10, 60.0) == Decision(True, (100.0,), 0.0)


def test_requests_up_to_the_limit_are_allowed() -> None:
    stamps: tuple[float, ...] = ()
    for i in range(10):
        decision = decide(stamps, 100.0 + i, 10, 60.0)
        assert decision.allowed
        stamps = decision.timestamps
    assert len(stamps) == 10


def test_the_request_over_the_limit_is_refused_with_the_wait() -> None:
    stamps = [100.0 + i for i in range(10)]
    decision = decide(stamps, 120.0, 10, 60.0)
    assert not decision.allowed
    assert decision.timestamps == tuple(stamps)  # a refusal is not recorded
    assert decision.retry_after == pytest.approx(40.0)  # when the 100.0 request leaves


def test_a_request_exactly_one_window_old_has_left() -> None:
    stamps = [100.0 + i for i in range(10)]
    decision = decide(stamps, 160.0, 10, 60.0)
    assert decision.allowed
    assert decision.timestamps == (*stamps[1:], 160.0)  # expired entries are dropped


def test_just_inside_the_window_still_counts() -> None:
    stamps = [100.0 + i for i in range(10)]
    decision = decide(stamps, 159.999, 10, 60.0)
    assert not decision.allowed
    assert decision.retry_after == pytest.approx(0.001)


def test_unsorted_history_is_handled() -> None:
    decision = decide([105.0, 101.0, 103.0], 110.0, 3, 60.0)
    assert not decision.allowed
    assert decision.retry_after == pytest.approx(51.0)


def test_a_lowered_limit_waits_for_enough_requests_to_leave() -> None:
    stamps = [100.0, 101.0, 102.0, 103.0, 104.0]
    decision = decide(stamps, 110.0, 2, 60.0)
    assert not decision.allowed
    assert decision.retry_after == pytest.approx(103.0 + 60.0 - 110.0)


def test_limit_of_one() -> None:
    assert decide([], 0.0, 1, 10.0).allowed
    assert not decide([0.0], 5.0, 1, 10.0).allowed
    assert decide([0.0], 10.0, 1, 10.0).allowed


@given(
    st.lists(st.floats(min_value=0, max_value=1_000, allow_nan=False), max_size=30),
    st.floats(min_value=0, max_value=1_000, allow_nan=False),
    st.integers(min_value=1, max_value=20),
    st.floats(min_value=0.001, max_value=500, allow_nan=False),
)
def test_window_invariants(stamps: list[float], now: float, limit: int, window: float) -> None:
    decision = decide(stamps, now, limit, window)
    in_window = [t for t in decision.timestamps if t > now - window]
    assert len(in_window) == len(decision.timestamps)  # only the window is kept
    if decision.allowed:
        assert len(decision.timestamps) <= limit
        assert decision.retry_after == 0
    else:
        assert decision.retry_after >= 0
        # Once the wait has passed, a request is allowed.
        later = now + decision.retry_after + 1e-6
        assert decide(decision.timestamps, later, limit, window).allowed


def test_encode_decode_round_trip() -> None:
    assert decode(encode([1.5, 1700000000.123456])) == [1.5, 1700000000.123]


@pytest.mark.parametrize(
    "raw",
    [
        None,
        b"",
        b"not json",
        b"\xff\xfe",
        b"{}",
        b'"x"',
        b'[true, null, "1", 1e999, 1' + b"0" * 400 + b"]",
    ],
)
def test_unreadable_history_counts_as_none(raw: bytes | None) -> None:
    assert decode(raw) == []


def test_decode_keeps_the_good_entries() -> None:
    assert decode(b'[1, "x", 2.5, null]') == [1.0, 2.5]
