"""What users read: captions within Telegram's limit, failure texts that leak nothing."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from easel.events import ErrorCode
from easel_notifier import texts
from easel_notifier.texts import CAPTION_LIMIT, utf16_len

HEAD = "🎨 Image generated with FLUX\n\nEnhanced prompt:\n"


def test_short_caption_is_whole() -> None:
    assert texts.caption("FLUX", "a cat") == HEAD + "a cat"


def test_long_caption_is_cut_to_exactly_the_limit_with_an_ellipsis() -> None:
    caption = texts.caption("FLUX", "x" * 1200)
    assert utf16_len(caption) == CAPTION_LIMIT
    assert caption.startswith(HEAD + "xxx")
    assert caption.endswith("x…")


def test_caption_at_the_limit_is_not_cut() -> None:
    prompt = "y" * (CAPTION_LIMIT - utf16_len(HEAD))
    assert texts.caption("FLUX", prompt) == HEAD + prompt


def test_emoji_count_twice_and_are_never_split() -> None:
    caption = texts.caption("FLUX", "🐱" * 600)  # 1200 UTF-16 units, 600 code points
    assert utf16_len(caption) <= CAPTION_LIMIT
    body = caption.removeprefix(HEAD).removesuffix("…")
    assert set(body) == {"🐱"}
    assert caption.encode("utf-16-le").decode("utf-16-le") == caption  # no lone surrogate


def test_cut_does_not_leave_a_dangling_joiner() -> None:
    family = "👨\u200d👩\u200d👧"
    room = CAPTION_LIMIT - utf16_len(HEAD) - 1  # one unit is the ellipsis
    prompt = "a" * (room - 3) + family * 10  # the cut falls right after "👨\u200d"
    caption = texts.caption("FLUX", prompt)
    assert not caption.removesuffix("…").endswith("\u200d")
    assert utf16_len(caption) <= CAPTION_LIMIT


@given(st.text(min_size=1, max_size=1000), st.sampled_from(["FLUX", "SDXL", "Kandinsky 3"]))
def test_any_prompt_fits(prompt: str, model: str) -> None:
    caption = texts.caption(model, prompt)
    assert utf16_len(caption) <= CAPTION_LIMIT
    if caption.endswith("…") and not prompt.endswith("…"):
        body = caption.removeprefix(texts.caption(model, "x")[:-1]).removesuffix("…")
        assert prompt.startswith(body)


@pytest.mark.parametrize("code", list(ErrorCode))
def test_failure_texts_are_friendly_and_leak_nothing(code: ErrorCode) -> None:
    text = texts.failure("SDXL", code)
    assert text
    assert not re.search(r"https?://|www\.|api[_ ]?key|token|Traceback|Bearer", text, re.I)
    assert len(text) < 300


def test_auth_failure_names_the_model() -> None:
    assert texts.failure("SDXL", ErrorCode.AUTH) == (
        "🔧 The SDXL service rejected our credentials. "
        "The team has been alerted; please try another model."
    )


def test_moderated_mentions_the_safety_filter() -> None:
    assert "safety filter" in texts.failure("FLUX", ErrorCode.MODERATED)


def test_status_lines() -> None:
    assert texts.queued("FLUX", 3) == "⏳ In FLUX queue: position 3"
    assert texts.queued("FLUX", 3, 38.0) == "⏳ In FLUX queue: position 3 · about 40 s"
    assert texts.generating("FLUX", 130.0) == "🖼️ Generating with FLUX… about 2 min"
    assert texts.generating("FLUX") == "🖼️ Generating with FLUX…"
    assert texts.generating("FLUX", 130.0, percent=40) == "🖼️ Generating with FLUX… 40%"
    assert texts.sending() == "📤 Sending…"
    assert "expired" in texts.failure("FLUX", ErrorCode.EXPIRED)
    assert texts.cancelled("FLUX") == "✖ Cancelled: your FLUX image will not be made."
