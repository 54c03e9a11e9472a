"""Job identity and the event that starts a job."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from easel_gateway.core.jobs import api_job_id, api_user, image_requested, job_id, telegram_user

EVENT_JOB_ID = re.compile(r"^[A-Za-z0-9_\-]+$")


@pytest.mark.parametrize(
    ("chat", "message", "expected"),
    [
        (42, 7, "tg_42_7"),
        (-100123, 45, "tg_n100123_45"),
        (-1001234567890, 1, "tg_n1001234567890_1"),
    ],
)
def test_job_id(chat: int, message: int, expected: str) -> None:
    assert job_id(chat, message) == expected
    assert EVENT_JOB_ID.match(expected)


def test_the_users_the_limits_count_are_valid_kv_keys_and_never_collide() -> None:
    assert telegram_user(42) == "user_42"
    assert telegram_user(-5) == "user_n5"
    assert api_user("42") == "key_42"  # a key named like a Telegram user is another user


def test_api_job_ids_are_unguessable_and_valid() -> None:
    ids = {api_job_id() for _ in range(100)}
    assert len(ids) == 100
    assert all(len(i) == 36 and i.startswith("api_") for i in ids)


def test_image_requested_carries_the_requester() -> None:
    event = image_requested(
        job="tg_1_2",
        model="sdxl",
        prompt="a dog",
        chat_id=1,
        user_id=3,
        status_message_id=4,
        language_code="pt-br-x-very-long-tag",
        requested_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    assert event.subject == "image.requested.sdxl"
    assert event.job.requester is not None
    assert event.job.requester.status_message_id == 4
    assert event.job.requester.language_code == "pt-br-x-very-lon"  # cut to the contract's 16
