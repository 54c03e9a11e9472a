"""The outbox's pure scheduler, driven by a fake clock: pacing, coalescing, priorities, 429s."""

from __future__ import annotations

import itertools
from collections import defaultdict

import pytest

from easel_notifier.scheduler import (
    Accepted,
    Call,
    CallResult,
    Gone,
    Pacing,
    Priority,
    RetryAfter,
    Scheduler,
    Settled,
    Settlement,
    Stage,
    Transient,
)

pytestmark = pytest.mark.timeout(10)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def make(pacing: Pacing | None = None) -> tuple[Scheduler[str], Clock]:
    clock = Clock()
    return Scheduler(clock, pacing or Pacing()), clock


def take_all(scheduler: Scheduler[str]) -> list[Call[str]]:
    calls = []
    while (call := scheduler.next_call()) is not None:
        calls.append(call)
    return calls


def run_until_idle(
    scheduler: Scheduler[str],
    clock: Clock,
    *,
    horizon: float = 120.0,
    answer: CallResult | None = None,
) -> list[tuple[float, Call[str]]]:
    """Send everything, answering each call at once; returns (time, call) in send order."""
    sent: list[tuple[float, Call[str]]] = []
    end = clock.now + horizon
    while clock.now < end:
        for call in take_all(scheduler):
            sent.append((clock.now, call))
            scheduler.complete(call, answer or Accepted())
        wakeup = scheduler.next_wakeup()
        if wakeup is None:
            return sent
        clock.now = max(wakeup, clock.now)
    raise AssertionError("scheduler did not go idle")


def test_newer_text_replaces_pending_one() -> None:
    scheduler, clock = make()
    assert scheduler.edit(1, 10, "⏳ position 3", Stage.QUEUED)
    assert scheduler.edit(1, 10, "⏳ position 2", Stage.QUEUED)
    sent = run_until_idle(scheduler, clock)
    assert [call.text for _, call in sent] == ["⏳ position 2"]


def test_lower_stage_is_dropped() -> None:
    scheduler, clock = make()
    assert scheduler.edit(1, 10, "🖼️ Generating", Stage.GENERATING)
    assert not scheduler.edit(1, 10, "⏳ position 1", Stage.QUEUED)
    sent = run_until_idle(scheduler, clock)
    assert [call.text for _, call in sent] == ["🖼️ Generating"]
    assert not scheduler.edit(1, 10, "⏳ position 1", Stage.QUEUED)
    assert scheduler.next_wakeup() is None


def test_text_already_shown_is_not_sent_again() -> None:
    scheduler, clock = make()
    scheduler.edit(1, 10, "⏳ position 2", Stage.QUEUED)
    run_until_idle(scheduler, clock)
    assert not scheduler.edit(1, 10, "⏳ position 2", Stage.QUEUED)
    clock.now += 5
    assert take_all(scheduler) == []


def test_returning_to_the_shown_text_cancels_the_pending_edit() -> None:
    scheduler, clock = make()
    scheduler.edit(1, 10, "⏳ position 2", Stage.QUEUED)
    run_until_idle(scheduler, clock)
    scheduler.edit(1, 10, "⏳ position 3", Stage.QUEUED)
    scheduler.edit(1, 10, "⏳ position 2", Stage.QUEUED)
    clock.now += 5
    assert take_all(scheduler) == []


def test_deliveries_overtake_edits() -> None:
    # One call per second: whoever goes first is what the scheduler prefers.
    scheduler, _ = make(Pacing(max_calls_per_second=1))
    for chat in (1, 2, 3):
        scheduler.edit(chat, 10, "⏳ position 1", Stage.QUEUED)
    scheduler.deliver(4, "photo")
    first = scheduler.next_call()
    assert first is not None
    assert first.priority is Priority.DELIVERY
    assert first.payload == "photo"


def test_delivery_goes_before_an_edit_of_the_same_chat() -> None:
    scheduler, clock = make()
    scheduler.edit(1, 10, "📤 Sending…", Stage.SENDING)
    scheduler.deliver(1, "photo")
    sent = run_until_idle(scheduler, clock)
    assert [c.payload or c.text for _, c in sent] == ["photo", "📤 Sending…"]


def test_a_photo_does_not_wait_for_the_status_edit_in_flight() -> None:
    scheduler, _ = make()
    scheduler.edit(1, 10, "📤 Sending…", Stage.SENDING)
    edit = scheduler.next_call()
    assert edit is not None
    assert edit.text == "📤 Sending…"
    scheduler.deliver(1, "photo", overtakes_edits=True)
    scheduler.deliver(2, "other chat's photo")
    photo = scheduler.next_call()
    assert photo is not None
    assert photo.payload == "photo"
    # A second delivery in the same chat still waits for the first.
    scheduler.deliver(1, "delete", message_id=10, overtakes_edits=True)
    assert [c.payload for c in take_all(scheduler)] == ["other chat's photo"]
    scheduler.complete(photo, Accepted())
    assert [c.payload for c in take_all(scheduler)] == ["delete"]


def test_an_edit_overtaken_by_its_messages_deletion_is_obsolete() -> None:
    # The edit waited for the bot's budget while the photo and the deletion went.
    scheduler, _ = make()
    scheduler.edit(1, 10, "📤 Sending…", Stage.SENDING)
    edit = scheduler.next_call()
    assert edit is not None
    assert not scheduler.obsolete(edit)
    scheduler.deliver(1, "delete", message_id=10, stage=Stage.DONE, overtakes_edits=True)
    assert scheduler.obsolete(edit)


def test_a_final_text_waits_for_the_status_edit_in_flight() -> None:
    """Otherwise the older edit could land last and replace it."""
    scheduler, _ = make()
    scheduler.edit(1, 10, "🖼️ Generating", Stage.GENERATING)
    edit = scheduler.next_call()
    assert edit is not None
    scheduler.deliver(1, "❌ failed", message_id=10, stage=Stage.FAILED)
    assert scheduler.next_call() is None
    assert scheduler.next_wakeup() is None  # only the edit's completion can help
    scheduler.complete(edit, Accepted())
    final = scheduler.next_call()
    assert final is not None
    assert final.payload == "❌ failed"


def test_no_second_sees_more_than_the_bots_share_yet_a_burst_goes_at_once() -> None:
    scheduler, clock = make(Pacing(max_calls_per_second=20))
    for chat in range(50):
        scheduler.deliver(chat, f"photo {chat}")
    began = clock.now
    sent = [at - began for at, _ in run_until_idle(scheduler, clock)]
    assert sent[:20] == [0.0] * 20  # after a quiet spell nothing waits
    assert len(sent) == 50
    for start in sent:  # Telegram's window: one second, half-open
        assert sum(start <= at < start + 1.0 for at in sent) <= 20


def test_a_status_edit_leaves_the_chats_burst_to_the_photo() -> None:
    """The gateway's status message and the photo must fit in the chat's window too."""
    scheduler, clock = make(Pacing(per_chat_interval=1.0, per_chat_burst=3))
    scheduler.edit(1, 10, "🖼️ Generating", Stage.GENERATING)
    began = clock.now
    scheduler.edit(1, 10, "🖼️ Generating", Stage.GENERATING)
    sent = run_until_idle(scheduler, clock)
    assert [(at - began, c.text) for at, c in sent] == [(0.0, "🖼️ Generating")]
    scheduler.edit(1, 10, "📤 Sending…", Stage.SENDING)
    assert scheduler.next_call() is None  # the window has a call of the chat's already
    scheduler.deliver(1, "photo", message_id=10, stage=Stage.DONE)
    photo = scheduler.next_call()
    assert photo is not None
    assert photo.payload == "photo"


def test_a_chat_gets_a_short_burst_then_one_call_per_interval() -> None:
    scheduler, clock = make(Pacing(per_chat_interval=1.0, per_chat_burst=3))
    for n in range(5):
        scheduler.deliver(1, f"photo {n}")
    sent = run_until_idle(scheduler, clock)
    offsets = [round(at - sent[0][0], 6) for at, _ in sent]
    assert offsets == [0.0, 0.0, 0.0, 3.0, 3.0]  # three at once, then the window must pass


def test_deletions_do_not_count_against_a_chats_limit() -> None:
    scheduler, clock = make(Pacing(per_chat_interval=1.0, per_chat_burst=1))
    scheduler.deliver(1, "photo")
    scheduler.deliver(1, "delete", message_id=10, per_chat_limited=False)
    scheduler.deliver(1, "next photo")
    sent = run_until_idle(scheduler, clock)
    assert [(at - sent[0][0], c.payload) for at, c in sent] == [
        (0.0, "photo"),
        (0.0, "delete"),
        (1.0, "next photo"),
    ]


def test_delivery_for_a_message_drops_its_pending_edit_and_later_lower_stages() -> None:
    scheduler, clock = make()
    scheduler.edit(1, 10, "📤 Sending…", Stage.SENDING)
    scheduler.deliver(1, "delete", message_id=10, stage=Stage.DONE)
    assert not scheduler.edit(1, 10, "🖼️ Generating", Stage.GENERATING)
    sent = run_until_idle(scheduler, clock)
    assert [c.payload for _, c in sent] == ["delete"]


def test_hundred_chats_stay_within_the_per_chat_window() -> None:
    pacing = Pacing(max_calls_per_second=25, per_chat_interval=1.0, per_chat_burst=3)
    scheduler, clock = make(pacing)
    sent: list[tuple[float, Call[str]]] = []
    start = clock.now
    # The queue moves every 0.2 s: each of 100 users gets a new position each time.
    for step in range(10):
        for chat in range(100):
            scheduler.edit(chat, 1, f"⏳ position {100 - step - chat}", Stage.QUEUED)
        step_end = start + 0.2 * (step + 1)
        while True:
            for call in take_all(scheduler):
                sent.append((clock.now, call))
                scheduler.complete(call, Accepted())
            wakeup = scheduler.next_wakeup()
            if wakeup is None or wakeup >= step_end:
                break
            clock.now = wakeup
        clock.now = step_end
    sent += run_until_idle(scheduler, clock)

    per_chat: dict[int, list[float]] = defaultdict(list)
    for at, call in sent:
        per_chat[call.chat_id].append(at)
    for times in per_chat.values():  # never a 4th call within 3 s of the 1st
        assert all(d - a >= 3.0 for a, d in zip(times, times[3:], strict=False))
    times = sorted(at for at, _ in sent)
    for i, at in enumerate(times):
        in_window = sum(1 for t in times[i:] if t < at + 1.0)
        assert in_window <= 30  # 25/s plus a 0.2 s burst
    # Coalescing: far fewer calls than the 1000 updates, and everyone ends on the newest.
    assert len(sent) < 300
    last = {call.chat_id: call.text for _, call in sent}
    assert last == {chat: f"⏳ position {100 - 9 - chat}" for chat in range(100)}


def test_after_429_nothing_goes_to_that_chat_before_retry_after() -> None:
    scheduler, clock = make()
    scheduler.deliver(1, "photo")
    call = scheduler.next_call()
    assert call is not None
    assert scheduler.complete(call, RetryAfter(3.0)) is None
    scheduler.edit(1, 10, "📤 Sending…", Stage.SENDING)
    scheduler.edit(2, 10, "📤 Sending…", Stage.SENDING)
    others = take_all(scheduler)
    assert [c.chat_id for c in others] == [2]  # other chats carry on
    clock.now += 2.9
    assert take_all(scheduler) == []
    assert scheduler.next_wakeup() == pytest.approx(clock.now + 0.1)
    clock.now += 0.1
    again = scheduler.next_call()
    assert again is call  # the same call, retried, and still before the edit
    assert scheduler.complete(again, Accepted()) == Settled(Settlement.ACCEPTED)


def test_several_chats_flooded_together_hold_everything() -> None:
    scheduler, clock = make()
    for chat in (1, 2, 3, 4):
        scheduler.deliver(chat, f"photo {chat}")
    calls = take_all(scheduler)
    assert len(calls) == 4
    for call in calls[:3]:
        scheduler.complete(call, RetryAfter(5.0))
    scheduler.complete(calls[3], Accepted())
    scheduler.edit(9, 10, "⏳ position 1", Stage.QUEUED)
    clock.now += 4.9
    assert take_all(scheduler) == []
    clock.now += 0.1
    assert {c.chat_id for c in take_all(scheduler)} == {1, 2, 3, 9}


def test_one_chat_flooded_does_not_hold_the_others() -> None:
    scheduler, _clock = make()
    scheduler.deliver(1, "photo")
    call = scheduler.next_call()
    assert call is not None
    scheduler.complete(call, RetryAfter(30.0))
    scheduler.deliver(2, "photo 2")
    assert [c.chat_id for c in take_all(scheduler)] == [2]


def test_network_errors_back_off_and_give_up() -> None:
    pacing = Pacing(network_attempts=4, backoff_initial=0.5, backoff_max=1.5, per_chat_interval=0)
    scheduler, clock = make(pacing)
    scheduler.deliver(1, "photo")
    sends: list[float] = []
    settled = None
    while settled is None:
        call = scheduler.next_call()
        if call is None:
            wakeup = scheduler.next_wakeup()
            assert wakeup is not None
            clock.now = wakeup
            continue
        sends.append(clock.now)
        settled = scheduler.complete(call, Transient("ClientConnectorError"))
    assert settled == Settled(Settlement.GAVE_UP, "ClientConnectorError")
    gaps = [round(b - a, 3) for a, b in itertools.pairwise(sends)]
    assert gaps == [0.5, 1.0, 1.5]


def test_gone_message_takes_no_more_edits() -> None:
    scheduler, _ = make()
    scheduler.edit(1, 10, "⏳ position 2", Stage.QUEUED)
    call = scheduler.next_call()
    assert call is not None
    assert scheduler.complete(call, Gone()) == Settled(Settlement.GONE)
    assert not scheduler.edit(1, 10, "🖼️ Generating", Stage.GENERATING)


def test_edit_hit_by_429_yields_to_a_newer_text() -> None:
    scheduler, clock = make()
    scheduler.edit(1, 10, "⏳ position 3", Stage.QUEUED)
    call = scheduler.next_call()
    assert call is not None
    scheduler.edit(1, 10, "⏳ position 2", Stage.QUEUED)
    assert scheduler.complete(call, RetryAfter(2.0)) == Settled(Settlement.SUPERSEDED)
    clock.now += 2
    assert [c.text for c in take_all(scheduler)] == ["⏳ position 2"]


def test_edit_hit_by_429_is_retried_with_its_text() -> None:
    scheduler, clock = make()
    scheduler.edit(1, 10, "⏳ position 3", Stage.QUEUED)
    call = scheduler.next_call()
    assert call is not None
    assert scheduler.complete(call, RetryAfter(2.0)) is None
    # What it tried to show is not shown: the same text is not dropped as a repeat.
    assert scheduler.edit(1, 10, "⏳ position 3", Stage.QUEUED)
    clock.now += 2
    assert [c.text for c in take_all(scheduler)] == ["⏳ position 3"]


def test_withdrawn_delivery_is_never_sent() -> None:
    scheduler, clock = make()
    call = scheduler.deliver(1, "photo")
    assert scheduler.withdraw(call)
    assert run_until_idle(scheduler, clock) == []
    in_flight = scheduler.deliver(1, "photo again")
    assert scheduler.next_call() is in_flight
    assert not scheduler.withdraw(in_flight)


def test_a_call_its_gate_stops_leaves_the_chats_budget_and_the_chat_free() -> None:
    scheduler, _ = make(Pacing(max_calls_per_second=1, per_chat_interval=1.0, per_chat_burst=1))
    stopped = scheduler.deliver(1, "photo of a cancelled job")
    assert scheduler.next_call() is stopped
    declined = Settled(Settlement.DECLINED, "cancelled")
    assert scheduler.unsent(stopped, declined) is declined
    # Nothing reached Telegram: the next call goes at once, with no window to wait out.
    after = scheduler.deliver(1, "cancelled text")
    assert scheduler.next_call() is after


def test_pending_counts_by_priority() -> None:
    scheduler, _ = make()
    scheduler.edit(1, 10, "a", Stage.QUEUED)
    scheduler.edit(2, 10, "b", Stage.QUEUED)
    scheduler.deliver(3, "photo")
    assert scheduler.pending(Priority.EDIT) == 2
    assert scheduler.pending(Priority.DELIVERY) == 1
