"""The circuit breaker's state machine, driven by a fake clock."""

from __future__ import annotations

import pytest

from easel_generator.circuit_breaker import Breaker, Circuit, Permit, State, Wait


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def circuit(clock: Clock, threshold: int = 3, open_seconds: float = 60.0) -> Circuit:
    return Circuit(threshold=threshold, open_seconds=open_seconds, clock=clock)


def fail(c: Circuit, times: int = 1) -> None:
    for _ in range(times):
        permit = c.admit()
        assert isinstance(permit, Permit)
        c.record(permit, ok=False)


def test_closed_admits_every_attempt_and_opens_after_the_threshold(clock: Clock) -> None:
    c = circuit(clock)
    assert c.admit() == Permit(trial=False)
    fail(c, 2)
    assert c.state is State.CLOSED
    fail(c)
    assert c.state is State.OPEN
    assert c.admit() == Wait(60.0)


def test_only_consecutive_failures_count(clock: Clock) -> None:
    c = circuit(clock)
    fail(c, 2)
    ok = c.admit()
    assert isinstance(ok, Permit)
    c.record(ok, ok=True)  # e.g. a 429 or an image: the backend is up
    fail(c, 2)
    assert c.state is State.CLOSED


def test_open_waits_out_its_time_then_admits_exactly_one_trial(clock: Clock) -> None:
    c = circuit(clock)
    fail(c, 3)
    clock.now += 59.5
    assert c.admit() == Wait(pytest.approx(0.5))
    clock.now += 0.5
    assert c.state is State.HALF_OPEN
    trial = c.admit()
    assert trial == Permit(trial=True)
    assert c.admit() == Wait(None)  # everyone else waits for the trial's verdict
    assert c.admit() == Wait(None)


def test_a_successful_trial_closes_the_circuit(clock: Clock) -> None:
    c = circuit(clock)
    fail(c, 3)
    clock.now += 60
    trial = c.admit()
    assert isinstance(trial, Permit)
    c.record(trial, ok=True)
    assert c.state is State.CLOSED
    assert c.admit() == Permit(trial=False)
    fail(c, 2)  # the count starts again from zero
    assert c.state is State.CLOSED


def test_a_failed_trial_reopens_for_the_full_time(clock: Clock) -> None:
    c = circuit(clock)
    fail(c, 3)
    clock.now += 75
    trial = c.admit()
    assert isinstance(trial, Permit)
    c.record(trial, ok=False)
    assert c.state is State.OPEN
    assert c.admit() == Wait(60.0)
    clock.now += 60
    assert c.admit() == Permit(trial=True)


def test_a_trial_never_made_goes_to_the_next_attempt(clock: Clock) -> None:
    c = circuit(clock)
    fail(c, 3)
    clock.now += 60
    trial = c.admit()
    assert isinstance(trial, Permit)
    c.release(trial)  # e.g. its job was cancelled before the request
    assert c.state is State.HALF_OPEN
    assert c.admit() == Permit(trial=True)


def test_stragglers_admitted_before_the_circuit_opened(clock: Clock) -> None:
    c = circuit(clock, threshold=2)
    late_failure, late_success = c.admit(), c.admit()
    assert isinstance(late_failure, Permit)
    assert isinstance(late_success, Permit)
    fail(c, 2)
    c.record(late_failure, ok=False)  # says nothing new: still open, same reopen time
    assert c.admit() == Wait(60.0)
    c.record(late_success, ok=True)  # the backend answered after all
    assert c.state is State.CLOSED


def test_a_threshold_of_one_opens_on_the_first_failure(clock: Clock) -> None:
    c = circuit(clock, threshold=1, open_seconds=5)
    fail(c)
    assert c.admit() == Wait(5.0)


@pytest.mark.parametrize(("threshold", "open_seconds"), [(0, 60.0), (3, 0.0)])
def test_nonsense_configuration_is_refused(threshold: int, open_seconds: float) -> None:
    with pytest.raises(ValueError, match="threshold"):
        Circuit(threshold=threshold, open_seconds=open_seconds, clock=Clock())


async def test_the_breaker_tells_each_change_once(clock: Clock) -> None:
    changes: list[State] = []
    breaker = Breaker("flux", threshold=1, open_seconds=60.0, clock=clock, on_change=changes.append)
    async with breaker.slot() as slot:
        assert slot is not None
        await slot.record(ok=False)
    clock.now += 61
    async with breaker.slot() as slot:  # the trial
        assert slot is not None
        await slot.record(ok=True)
    assert changes == [State.OPEN, State.HALF_OPEN, State.CLOSED]
