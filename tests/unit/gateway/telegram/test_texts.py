"""What users read: replies, help and errors."""

from __future__ import annotations

import re

from easel.settings import load_registry
from easel_gateway.catalog import CATALOG, ENGLISH
from easel_gateway.core.validation import Reason, Rejected
from easel_gateway.telegram import texts

REGISTRY = load_registry(
    {"FLUX_WORKER_URL": "http://127.0.0.1:1/f", "SDXL_WORKER_URL": "http://127.0.0.1:1/s"}
)
EN = ENGLISH
EVENT_JOB_ID = re.compile(r"^[A-Za-z0-9_\-]+$")


def test_rejections_say_what_is_wrong() -> None:
    unknown = texts.rejection(EN, Rejected(Reason.UNKNOWN_MODEL, "dalle"), REGISTRY)
    assert "dalle" in unknown
    assert "flux, sdxl" in unknown
    assert "flux, sdxl" in texts.rejection(EN, Rejected(Reason.UNKNOWN_MODEL, ""), REGISTRY)
    empty = texts.rejection(EN, Rejected(Reason.EMPTY_PROMPT, "sdxl"), REGISTRY)
    assert "Empty prompt — try /image=sdxl=a cat on a windowsill" in empty
    long = texts.rejection(EN, Rejected(Reason.PROMPT_TOO_LONG, "flux", 1001), REGISTRY)
    assert "Prompt is 1,001 characters; the limit is 1,000" in long


def test_echoed_input_is_bounded() -> None:
    text = texts.rejection(EN, Rejected(Reason.UNKNOWN_MODEL, "m" * 500), REGISTRY)
    assert len(text) < 120
    assert len(texts.unknown_command(EN, "x" * 4000)) < 120


def test_rate_limited_text() -> None:
    assert texts.rate_limited(EN, 10, 60.0, 12.2) == (
        "⏱️ Slow down: at most 10 images per 60 s. Try again in 13 s."
    )
    assert texts.rate_limited(EN, 10, 60.0, 0.01).endswith("Try again in 1 s.")


def test_help_and_models_list_the_configured_models() -> None:
    help_text = texts.help_text(EN, REGISTRY, 10, 60.0)
    assert "/image=sdxl=" in help_text
    assert "/models" in help_text
    assert "10 images per 60 s" in help_text
    assert texts.start_text(EN, REGISTRY, 10, 60.0).endswith(help_text)
    models = texts.models_text(EN, REGISTRY)
    assert "flux — FLUX (default)" in models
    assert "sdxl — SDXL" in models


def test_a_single_model_registry_still_reads_well() -> None:
    only = load_registry({"SDXL_WORKER_URL": "http://127.0.0.1:1/s"})
    assert "/image=sdxl=" in texts.help_text(EN, only, 10, 60.0)


def test_each_language_answers_in_its_own_words() -> None:
    def limit_text(code: str) -> str:
        return texts.rate_limited(CATALOG.for_language(code), 10, 60.0, 12.2)

    assert limit_text("tr").startswith("⏱️")
    assert len({limit_text(code) for code in ("en", "fa", "tr", "ru")}) == 4
    assert limit_text("ru-RU") == limit_text("ru")  # a regional variant: its base language
    assert limit_text("de") == limit_text("en")  # one Easel does not speak: English


def test_russian_counts_take_their_three_forms() -> None:
    ru = CATALOG.for_language("ru")
    one, few, many = (texts.cancelled_count(ru, n) for n in (1, 3, 5))
    assert "1 запрос" in one
    assert "3 запроса" in few
    assert "5 запросов" in many
    assert "21 запрос" in texts.cancelled_count(ru, 21)
    assert "11 запросов" in texts.cancelled_count(ru, 11)
