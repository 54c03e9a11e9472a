"""Validation of a parsed image command: model, prompt cleaning and length."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from easel.events import JobContext
from easel.settings import load_registry
from easel_gateway.core.commands import ImageRequest, parse
from easel_gateway.core.validation import (
    MAX_PROMPT_CHARS,
    Accepted,
    Reason,
    Rejected,
    clean_prompt,
    validate,
)

REGISTRY = load_registry(
    {"FLUX_WORKER_URL": "http://127.0.0.1:1/f", "SDXL_WORKER_URL": "http://127.0.0.1:1/s"}
)


def test_default_model_is_the_registry_default() -> None:
    assert validate(ImageRequest(None, "a cat"), REGISTRY) == Accepted("flux", "a cat")
    sdxl_first = load_registry(
        {
            "SDXL_WORKER_URL": "http://127.0.0.1:1/s",
            "FLUX_WORKER_URL": "http://127.0.0.1:1/f",
            "DEFAULT_MODEL": "sdxl",
        }
    )
    assert validate(ImageRequest(None, "a cat"), sdxl_first) == Accepted("sdxl", "a cat")


def test_explicit_model() -> None:
    assert validate(ImageRequest("sdxl", " a dog "), REGISTRY) == Accepted("sdxl", "a dog")


@pytest.mark.parametrize("model", ["dalle", "", "FLUX"])
def test_unknown_model(model: str) -> None:
    assert validate(ImageRequest(model, "a cat"), REGISTRY) == Rejected(Reason.UNKNOWN_MODEL, model)


def test_unknown_model_wins_over_a_bad_prompt() -> None:
    verdict = validate(ImageRequest("dalle", ""), REGISTRY)
    assert isinstance(verdict, Rejected)
    assert verdict.reason is Reason.UNKNOWN_MODEL


@pytest.mark.parametrize("prompt", ["", "   ", "\n\t", "\x00\u200b\u202e", " \u00a0 \u3000 "])
def test_empty_prompt(prompt: str) -> None:
    assert validate(ImageRequest(None, prompt), REGISTRY) == Rejected(Reason.EMPTY_PROMPT, "flux")


def test_limit_matches_the_event_contract() -> None:
    JobContext.model_validate(
        {"original_prompt": "x" * MAX_PROMPT_CHARS, "requested_at": "2026-01-01T00:00:00Z"}
    )
    with pytest.raises(ValueError, match="1000"):
        JobContext.model_validate(
            {
                "original_prompt": "x" * (MAX_PROMPT_CHARS + 1),
                "requested_at": "2026-01-01T00:00:00Z",
            }
        )


def test_1000_characters_pass_and_1001_do_not() -> None:
    assert validate(ImageRequest(None, "a" * 1000), REGISTRY) == Accepted("flux", "a" * 1000)
    assert validate(ImageRequest(None, "a" * 1001), REGISTRY) == Rejected(
        Reason.PROMPT_TOO_LONG, "flux", 1001
    )


def test_length_is_counted_after_cleaning() -> None:
    padded = "  " + "a" * 1000 + "\u200b" * 50 + "\n\n"
    assert validate(ImageRequest(None, padded), REGISTRY) == Accepted("flux", "a" * 1000)


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("a\x00cat\u200b", "acat"),  # removed characters do not become spaces
        ("a\ncat\ton\r\na  mat", "a cat on a mat"),  # whitespace separates words
        ("a\x1fb", "a b"),  # ASCII separators are whitespace to Python: kept as a gap
        ("\u202eevil\u202c \u2066bidi\u2069", "evil bidi"),
        ("tag\U000e0041\U000e0042s", "tags"),  # Unicode tag characters can smuggle text
        ("a\x7fb\x9bc", "abc"),
        ("soft\u00adhyphen", "softhyphen"),
        ("private\ue000use", "privateuse"),
        ("non\ufffecharacter\U0001ffff", "noncharacter"),
        ("a\u00a0b\u3000c\u2028d", "a b c d"),
        ("  café 猫 🐈‍⬛  ", "café 猫 🐈⬛"),  # ZWJ is a format character
        ("e\u0301", "e\u0301"),  # combining marks stay
    ],
)
def test_clean_prompt(raw: str, clean: str) -> None:
    assert clean_prompt(raw) == clean


@given(st.text())
def test_any_parsed_text_validates_without_raising(text: str) -> None:
    command = parse("/image " + text, REGISTRY.names)
    assert isinstance(command, ImageRequest)
    verdict = validate(command, REGISTRY)
    if isinstance(verdict, Accepted):
        assert 1 <= len(verdict.prompt) <= MAX_PROMPT_CHARS
        assert verdict.prompt == verdict.prompt.strip()
        assert clean_prompt(verdict.prompt) == verdict.prompt  # cleaning is idempotent
