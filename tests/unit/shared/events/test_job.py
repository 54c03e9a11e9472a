"""What every job event carries: the job's deadline runs from the request; a failure is
built from the event it ends."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from easel.events import (
    ErrorCode,
    ImageFailed,
    ImageGenerated,
    ImageProgress,
    ImageRequested,
    JobContext,
    Params,
)
from easel_devtools.testing import enhanced, generated, requested


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


def test_a_job_without_parameters_is_written_as_version_2_wrote_it() -> None:
    plain = requested("tg_1_1")
    written = json.loads(plain.model_dump_json())
    assert "params" not in written["job"]  # an older consumer (extra="forbid") reads it
    assert written["schema_version"] == 2
    assert ImageRequested.model_validate_json(plain.model_dump_json()) == plain
    sized = ImageRequested(
        job_id="tg_1_2",
        model="flux",
        job=plain.job.model_copy(update={"params": Params(size="1024x1024")}),
    )
    written = json.loads(sized.model_dump_json())
    assert written["job"]["params"]["size"] == "1024x1024"
    assert written["schema_version"] == 3
    made = generated("tg_1_1")
    seeded = ImageGenerated.after(
        made, prompt="p", image=made.image, seed=7, queued_seconds=0, generation_seconds=1
    )
    assert seeded.schema_version == 3
    assert ImageProgress.after(plain, percent=5).schema_version == 3
    assert ImageRequested.model_validate_json(sized.model_dump_json()) == sized


def test_only_a_job_that_starts_from_a_photo_is_written_as_version_4() -> None:
    made = generated("tg_1_1")
    photo = made.image.model_copy(update={"object_name": "tg_1_1.init"})
    for params, version in (
        (Params(size="512x512"), 3),
        (Params(init_image=photo), 4),
        (Params(init_image=photo, strength=0.4), 4),
    ):
        event = ImageRequested(
            job_id="tg_1_1", model="forge", job=made.job.model_copy(update={"params": params})
        )
        assert event.schema_version == version
        assert ImageRequested.model_validate_json(event.model_dump_json()) == event
    assert "init_image" not in Params(init_image=photo, strength=0.4).given()
    assert Params(init_image=photo, strength=0.4).given() == {"strength": 0.4}


def test_an_image_from_an_unenhanced_prompt_says_so_in_version_4() -> None:
    made = generated("tg_1_1")
    fields = {"prompt": "p", "image": made.image, "queued_seconds": 0, "generation_seconds": 1}
    as_typed = ImageGenerated.after(made, enhanced=False, **fields)
    assert as_typed.schema_version == 4
    assert json.loads(as_typed.model_dump_json())["enhanced"] is False
    enhanced = ImageGenerated.after(made, **fields)
    assert enhanced.schema_version == 2
    assert "enhanced" not in json.loads(enhanced.model_dump_json())  # as version 3 wrote it
    assert enhanced.enhanced is True


def test_a_failure_version_3_had_no_code_for_is_written_as_version_4() -> None:
    plain = enhanced("tg_1_1")
    assert ImageFailed.for_job(plain, ErrorCode.TIMEOUT, "late", attempts=1).schema_version == 2
    gone = ImageFailed.for_job(plain, ErrorCode.PHOTO_UNAVAILABLE, "gone", attempts=0)
    assert gone.schema_version == 4
