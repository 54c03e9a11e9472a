"""The estimates: a moving average of a model's generation times, the wait it means for a
job in line or at its backend, and how people say it."""

from __future__ import annotations

import pytest

from easel.jobs import ServiceTime, left, ready_in, rounded, updated


def test_the_average_starts_at_the_first_sample_and_follows_the_recent_ones() -> None:
    service = updated(None, 10.0)
    assert service == ServiceTime(10.0, 1)
    for _ in range(30):
        service = updated(service, 20.0)
    assert service.samples == 31
    assert service.mean == pytest.approx(20.0, abs=0.1)  # the old sample has faded


@pytest.mark.parametrize(
    ("position", "capacity", "seconds"),
    [(1, 1, 15.0), (3, 1, 35.0), (2, 2, 16.667), (3, 2, 23.333), (1, 4, 12.0), (9, 4, 32.0)],
)
def test_a_waiting_job_is_ready_after_those_ahead_and_its_own_render(
    position: int, capacity: int, seconds: float
) -> None:
    assert ready_in(position, capacity, ServiceTime(10.0, 5)) == pytest.approx(seconds, abs=0.001)


def test_a_job_at_its_backend_has_what_is_left_of_the_average_and_never_nothing() -> None:
    service = ServiceTime(10.0, 5)
    assert left(3.0, service) == 7.0
    assert left(30.0, service) == 1.0


@pytest.mark.parametrize(
    ("seconds", "said"),
    [
        (0.4, (1, "s")),
        (3.4, (3, "s")),
        (9.6, (10, "s")),
        (12.4, (10, "s")),
        (13.0, (15, "s")),
        (57, (55, "s")),
        (58, (1, "min")),
    ],
)
def test_estimates_are_rounded_as_people_say_them(seconds: float, said: tuple[int, str]) -> None:
    assert rounded(seconds) == said
    assert rounded(185) == (3, "min")
