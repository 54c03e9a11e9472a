"""`easel dlq list`'s table, and what the circuit breaker counts as the backend being down."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from easel.cli._dlq import Row, age, table
from easel.events import ErrorCode
from easel_generator import core


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [(-3, "0s"), (0, "0s"), (59.9, "59s"), (60, "1m"), (3599, "59m"), (7200, "2h"), (90000, "1d")],
)
def test_age_is_one_short_unit(seconds: float, shown: str) -> None:
    assert age(seconds) == shown


def test_table_aligns_columns_and_tolerates_missing_times() -> None:
    now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    rows = [
        Row(7, "generator-flux", "prompt.enhanced.flux", "deadline", now - timedelta(hours=3)),
        Row(12, "enhancer", "image.requested.sdxl", "undecodable", None),
    ]
    assert table(rows, now).splitlines() == [
        "seq  consumer        original subject      reason       age",
        "7    generator-flux  prompt.enhanced.flux  deadline     3h",
        "12   enhancer        image.requested.sdxl  undecodable  ?",
    ]


@pytest.mark.parametrize(
    ("verdict", "down"),
    [
        (core.classify_response(503, None, None, b""), True),
        (core.Retryable(ErrorCode.TIMEOUT, "no answer in time"), True),
        (core.classify_response(429, None, "1", b""), False),  # busy, but up
        (core.classify_response(404, None, None, b""), False),
        (core.classify_response(200, "text/html", None, b"<html>"), False),
        (core.classify_response(200, "image/png", None, b"\x89PNG\r\n\x1a\n"), False),
    ],
)
def test_only_a_missing_answer_counts_against_the_circuit(
    verdict: core.Verdict, down: bool
) -> None:
    assert core.backend_down(verdict) is down


def test_the_deadline_runs_from_the_request() -> None:
    requested_at = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    assert core.deadline(requested_at, 600) == datetime(2026, 1, 1, 12, 10, tzinfo=UTC)
