"""What users read: job ids, replies, and what of a message may reach the logs."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from easel.settings import load_registry
from easel_gateway import texts
from easel_gateway.jobs import image_requested, job_id, rate_limit_key
from easel_gateway.middlewares import preview
from easel_gateway.validation import Reason, Rejected

REGISTRY = load_registry(
    {"FLUX_WORKER_URL": "http://127.0.0.1:1/f", "SDXL_WORKER_URL": "http://127.0.0.1:1/s"}
)
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


def test_rate_limit_key_is_a_valid_kv_key() -> None:
    assert rate_limit_key(42) == "user_42"
    assert rate_limit_key(-5) == "user_n5"


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


def test_rejections_say_what_is_wrong() -> None:
    unknown = texts.rejection(Rejected(Reason.UNKNOWN_MODEL, "dalle"), REGISTRY)
    assert "dalle" in unknown
    assert "flux, sdxl" in unknown
    assert "flux, sdxl" in texts.rejection(Rejected(Reason.UNKNOWN_MODEL, ""), REGISTRY)
    empty = texts.rejection(Rejected(Reason.EMPTY_PROMPT, "sdxl"), REGISTRY)
    assert "Empty prompt — try /image=sdxl=a cat on a windowsill" in empty
    long = texts.rejection(Rejected(Reason.PROMPT_TOO_LONG, "flux", 1001), REGISTRY)
    assert "Prompt is 1001 characters; the limit is 1000" in long


def test_echoed_input_is_bounded() -> None:
    text = texts.rejection(Rejected(Reason.UNKNOWN_MODEL, "m" * 500), REGISTRY)
    assert len(text) < 120
    assert len(texts.unknown_command("x" * 4000)) < 120


def test_rate_limited_text() -> None:
    assert texts.rate_limited(10, 60.0, 12.2) == (
        "⏱️ Slow down: at most 10 images per 60 s. Try again in 13 s."
    )
    assert texts.rate_limited(10, 60.0, 0.01).endswith("Try again in 1 s.")


def test_help_and_models_list_the_configured_models() -> None:
    help_text = texts.help_text(REGISTRY, 10, 60.0)
    assert "/image=sdxl=" in help_text
    assert "/models" in help_text
    assert "10 images per 60 s" in help_text
    assert texts.start_text(REGISTRY, 10, 60.0).endswith(help_text)
    models = texts.models_text(REGISTRY)
    assert "flux — FLUX (default)" in models
    assert "sdxl — SDXL" in models


def test_a_single_model_registry_still_reads_well() -> None:
    only = load_registry({"SDXL_WORKER_URL": "http://127.0.0.1:1/s"})
    assert "/image=sdxl=" in texts.help_text(only, 10, 60.0)


@pytest.mark.parametrize(
    ("text", "logged"),
    [
        ("/image=flux=a secret prompt", "/image=flux"),
        ("/image a secret prompt", "/image"),
        ("/sdxl=secret", "/sdxl=secret"),
        ("just chatting about secrets", ""),
        (None, ""),
        ("/" + "x" * 100, "/" + "x" * 22 + "…"),
    ],
)
def test_log_preview_keeps_prompts_out(text: str | None, logged: str) -> None:
    assert preview(text) == logged
