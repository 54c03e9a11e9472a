"""What every job event carries: the job's deadline runs from the request; a failure is
built from the event it ends."""

from __future__ import annotations

from datetime import UTC, datetime

from easel.events import ErrorCode, ImageFailed, JobContext
from easel_devtools.testing import enhanced


def test_the_deadline_runs_from_the_request() -> None:
    requested_at = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    job = JobContext(original_prompt="a cat", requested_at=requested_at)
    assert job.deadline(600) == datetime(2026, 1, 1, 12, 10, tzinfo=UTC)


def test_a_failure_is_built_for_the_job_it_ends() -> None:
    source = enhanced("tg_1_1", "sdxl")
    failed = ImageFailed.for_job(source, ErrorCode.TIMEOUT, "late", attempts=2)
    assert (failed.job_id, failed.model, failed.job) == ("tg_1_1", "sdxl", source.job)
    assert (failed.error_code, failed.detail, failed.attempts, failed.retried) == (
        ErrorCode.TIMEOUT,
        "late",
        2,
        True,
    )
    once = ImageFailed.for_job(source, ErrorCode.AUTH, "", attempts=1)
    assert (once.attempts, once.retried) == (1, False)
