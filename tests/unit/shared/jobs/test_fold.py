"""The job view's fold: a record is a function of the set of its job's events, so order and
repetition do not matter, and an ending outranks every stage."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from easel.events import (
    ErrorCode,
    ImageCancelled,
    ImageDelivered,
    ImageFailed,
    ImageGenerated,
    ImageRequested,
    ImageStarted,
    JobContext,
    JobEvent,
    PromptEnhanced,
    PromptEnhancing,
    StoredImage,
    TelegramRequester,
)
from easel.jobs import JobRecord, JobState, Owner, apply, merge

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
JOB = JobContext(
    original_prompt="a cat",
    requested_at=T0,
    requester=TelegramRequester(chat_id=-100, user_id=42, status_message_id=7),
)
IMAGE = StoredImage(
    bucket="easel_images",
    object_name="tg_n100_1",
    size=10,
    content_type="image/png",
    sha256="0" * 64,
)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def requested() -> ImageRequested:
    return ImageRequested(job_id="tg_n100_1", model="flux", job=JOB, occurred_at=at(0))


def journey() -> list[JobEvent]:
    """One delivered job, its generation retried once."""
    first = requested()
    return [
        first,
        PromptEnhancing.after(first, attempt=1, occurred_at=at(0.1)),
        PromptEnhanced.after(
            first, prompt="a ginger cat", enhanced=True, fallback_reason=None, occurred_at=at(1)
        ),
        ImageStarted.after(first, attempt=1, occurred_at=at(5)),
        ImageStarted.after(first, attempt=2, occurred_at=at(9)),
        ImageGenerated.after(
            first,
            prompt="a ginger cat",
            image=IMAGE,
            queued_seconds=4,
            generation_seconds=6,
            occurred_at=at(15),
        ),
        ImageDelivered.after(first, file_id="AgACAgIAAx", occurred_at=at(16)),
    ]


def fold(events: list[JobEvent], seqs: list[int] | None = None) -> JobRecord:
    record = None
    for event, seq in zip(events, seqs or range(1, len(events) + 1), strict=True):
        record = apply(record, event, seq)
    assert record is not None
    return record


def test_a_delivered_job_reads_as_it_went() -> None:
    record = fold(journey())
    assert record.state is JobState.DELIVERED
    assert record.owner == Owner(channel="telegram", user="42", chat_id=-100, status_message_id=7)
    assert record.owner.key == "telegram_42"
    assert (record.prompt, record.enhanced, record.attempts) == ("a ginger cat", True, 2)
    assert record.file_id == "AgACAgIAAx"
    assert record.stages == {
        JobState.QUEUED: at(0),
        JobState.ENHANCING: at(0.1),
        JobState.WAITING: at(1),
        JobState.GENERATING: at(5),  # the first attempt's start
        JobState.SENDING: at(15),
        JobState.DELIVERED: at(16),
    }
    assert record.events == (1, 2, 3, 4, 5, 6, 7)


@given(st.permutations(range(7)), st.lists(st.integers(0, 6), max_size=5))
def test_any_order_and_any_repetition_give_the_same_record(
    order: list[int], repeated: list[int]
) -> None:
    events = journey()
    picks = [*order, *repeated]
    shuffled = fold([events[i] for i in picks], [i + 1 for i in picks])
    assert shuffled == fold(events)
    # The stored form too: the stages in the states' order, whatever order the events came.
    assert shuffled.model_dump_json() == fold(events).model_dump_json()


def test_an_ending_outranks_every_stage_that_comes_after_it() -> None:
    first = requested()
    cancelled = ImageCancelled.after(first, occurred_at=at(3))
    late = ImageGenerated.after(
        first, prompt="p", image=IMAGE, queued_seconds=0, generation_seconds=1, occurred_at=at(9)
    )
    assert fold([first, cancelled, late]).state is JobState.CANCELLED
    assert fold([late, cancelled, first]).state is JobState.CANCELLED


def test_a_failure_keeps_its_code_and_attempts() -> None:
    first = requested()
    failed = ImageFailed.for_job(first, ErrorCode.BACKEND_UNAVAILABLE, "HTTP 503", attempts=4)
    record = fold([first, ImageStarted.after(first, attempt=1), failed])
    assert (record.state, record.error_code, record.attempts) == (
        JobState.FAILED,
        ErrorCode.BACKEND_UNAVAILABLE,
        4,
    )


def test_a_job_known_only_from_a_later_event_still_has_its_owner_and_prompt() -> None:
    later = ImageStarted.after(requested(), attempt=1)
    record = fold([later])
    assert (record.state, record.original_prompt, record.requested_at) == (
        JobState.GENERATING,
        "a cat",
        T0,
    )


def test_owners_outside_telegram_and_negative_ids_make_valid_keys() -> None:
    cli = ImageRequested(
        job_id="cli_1", model="flux", job=JobContext(original_prompt="x", requested_at=T0)
    )
    assert fold([cli]).owner.key == "cli"
    assert Owner(channel="telegram", user="-5").key == "telegram_n5"


@given(st.lists(st.integers(0, 6), min_size=1), st.lists(st.integers(0, 6), min_size=1))
def test_merge_is_commutative_and_idempotent(left: list[int], right: list[int]) -> None:
    events = journey()
    a = fold([events[i] for i in left], [i + 1 for i in left])
    b = fold([events[i] for i in right], [i + 1 for i in right])
    assert merge(a, b) == merge(b, a)
    assert merge(a, a) == a
    assert merge(merge(a, b), b) == merge(a, b)
