"""Queue positions from stream sequences and the generator's delivered sequence."""

from __future__ import annotations

from easel_notifier.positions import positions


def test_waiting_jobs_are_ranked_by_sequence() -> None:
    waiting = {17: "c", 12: "a", 15: "b"}
    assert positions(waiting, delivered_seq=0) == [("a", 1), ("b", 2), ("c", 3)]


def test_jobs_handed_to_the_generator_have_left_the_queue() -> None:
    waiting = {10: "a", 11: "b", 12: "c", 13: "d", 14: "e"}
    assert positions(waiting, delivered_seq=10) == [("b", 1), ("c", 2), ("d", 3), ("e", 4)]
    assert positions(waiting, delivered_seq=14) == []


def test_gaps_from_other_models_do_not_count() -> None:
    # The stream holds every model; this model's jobs are not contiguous in it.
    waiting = {3: "a", 9: "b", 40: "c"}
    assert positions(waiting, delivered_seq=5) == [("b", 1), ("c", 2)]


def test_empty_queue() -> None:
    assert positions({}, delivered_seq=100) == []
