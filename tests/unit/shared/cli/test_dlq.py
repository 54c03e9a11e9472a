"""`easel dlq list`'s table."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from easel.cli._dlq import Row, age, table


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
