"""An update is confirmed to Telegram only when it and every one before it is handled."""

from __future__ import annotations

from easel_gateway.telegram.offsets import Offsets


def test_before_any_update_the_poll_sends_no_offset() -> None:
    assert Offsets().offset is None


def test_the_offset_stays_at_the_oldest_update_still_running() -> None:
    offsets = Offsets()
    assert [offsets.admit(u) for u in (10, 11, 12)] == [True, True, True]
    assert offsets.offset == 10
    offsets.finish(11)
    offsets.finish(12)
    assert offsets.offset == 10  # 10 is not handled: a successor must get it again
    offsets.finish(10)
    assert offsets.offset == 13
    assert offsets.running == 0


def test_updates_returned_again_while_unconfirmed_are_not_handled_twice() -> None:
    offsets = Offsets()
    offsets.admit(10)
    offsets.admit(11)
    offsets.finish(11)
    # The next poll (offset 10) returns 10 and 11 again, and a new one.
    assert [offsets.admit(u) for u in (10, 11, 12)] == [False, False, True]
    assert offsets.running == 2


def test_an_update_below_the_confirmed_offset_is_not_handled() -> None:
    offsets = Offsets()
    offsets.admit(10)
    offsets.finish(10)
    assert not offsets.admit(10)
    assert not offsets.admit(9)
    assert offsets.offset == 11
