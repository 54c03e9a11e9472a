"""An update is confirmed to Telegram only when it and every one before it is handled, or
once it has held the others back for too long."""

from __future__ import annotations

from easel_gateway.telegram.offsets import Offsets

T = 100.0  # a moment on the monotonic clock


def test_before_any_update_the_poll_sends_no_offset() -> None:
    assert Offsets().offset(T) is None


def test_the_offset_stays_at_the_oldest_update_still_running() -> None:
    offsets = Offsets()
    assert [offsets.admit(u, T) for u in (10, 11, 12)] == [True, True, True]
    assert offsets.offset(T) == 10
    offsets.finish(11, T)
    offsets.finish(12, T)
    assert offsets.offset(T) == 10  # 10 is not handled: a successor must get it again
    offsets.finish(10, T)
    assert offsets.offset(T) == 13
    assert offsets.running == 0


def test_updates_returned_again_while_unconfirmed_are_not_handled_twice() -> None:
    offsets = Offsets()
    offsets.admit(10, T)
    offsets.admit(11, T)
    offsets.finish(11, T)
    # The next poll (offset 10) returns 10 and 11 again, and a new one.
    assert [offsets.admit(u, T) for u in (10, 11, 12)] == [False, False, True]
    assert offsets.running == 2


def test_an_update_below_the_confirmed_offset_is_not_handled() -> None:
    offsets = Offsets()
    offsets.admit(10, T)
    offsets.finish(10, T)
    assert not offsets.admit(10, T)
    assert not offsets.admit(9, T)
    assert offsets.offset(T) == 11


def test_a_slow_update_stops_holding_the_others_back_after_its_hold() -> None:
    offsets = Offsets(hold_seconds=10)
    offsets.admit(10, T)
    offsets.admit(11, T + 5)
    offsets.finish(11, T + 5)
    assert offsets.offset(T + 9) == 10
    assert offsets.offset(T + 10) == 12  # 10 still runs, but no longer holds the offset
    assert not offsets.admit(10, T + 10)  # and is not handled a second time
    offsets.finish(10, T + 30)
    assert offsets.offset(T + 30) == 12
