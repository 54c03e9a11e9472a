"""What users read: replies, help and errors."""

from __future__ import annotations

import re

from easel.settings import load_registry
from easel_gateway.core.validation import Reason, Rejected
from easel_gateway.telegram import texts

REGISTRY = load_registry(
    {"FLUX_WORKER_URL": "http://127.0.0.1:1/f", "SDXL_WORKER_URL": "http://127.0.0.1:1/s"}
)
EVENT_JOB_ID = re.compile(r"^[A-Za-z0-9_\-]+$")


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
