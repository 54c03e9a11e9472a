"""The progress gate: a new value, at most once per interval."""

from __future__ import annotations

from easel_generator.progress import ProgressGate


def test_a_report_goes_out_on_a_change_once_the_interval_has_passed() -> None:
    now = [100.0]
    gate = ProgressGate(interval=1.0, clock=lambda: now[0])
    assert gate.admit(5)  # the first one at once
    assert not gate.admit(20)  # within the second
    now[0] += 1.0
    assert not gate.admit(5)  # a second on, but no change
    assert gate.admit(20)
    now[0] += 0.4
    assert not gate.admit(100)
    now[0] += 0.6
    assert gate.admit(100)
