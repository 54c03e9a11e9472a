"""CallWindow: a call counts from when it leaves until a second after its answer."""

from __future__ import annotations

from easel.telegram import CallWindow


def test_a_burst_goes_at_once_up_to_the_limit() -> None:
    window = CallWindow(3)
    for _ in range(3):
        assert window.free_at(10.0) == 10.0
        window.sent()
    assert window.used(10.0) == 3
    assert window.free_at(10.0) is None  # all in flight: only an answer makes room


def test_an_answered_call_counts_for_a_second_after_its_answer() -> None:
    window = CallWindow(2)
    window.sent()
    window.sent()
    window.answered(10.2)
    window.answered(10.5)
    free = window.free_at(10.6)
    assert free is not None
    assert 11.2 < free < 11.2 + 1e-6  # the first answer leaves the window
    assert window.used(11.3) == 1
    assert window.free_at(11.6) == 11.6


def test_a_lower_limit_waits_for_more_to_leave() -> None:
    window = CallWindow(4)
    for answer in (10.0, 10.1, 10.2):
        window.sent()
        window.answered(answer)
    assert window.free_at(10.3) == 10.3
    low = window.free_at(10.3, limit=2)
    assert low is not None
    assert 11.1 < low < 11.1 + 1e-6  # two of the three must be a second old
