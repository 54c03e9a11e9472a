"""What users read: captions within Telegram's limit, failure texts that leak nothing."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from easel.events import ErrorCode
from easel_notifier import texts
from easel_notifier.texts import CAPTION_LIMIT, YOURS_LIMIT, utf16_len

EN = texts.texts_for("en")
HEAD = "🎨 Image generated with FLUX\n\n✨ Enhanced prompt:\n"


def test_short_caption_is_whole() -> None:
    assert texts.caption(EN, "FLUX", "a cat") == HEAD + "a cat"


def test_long_caption_is_cut_to_exactly_the_limit_with_an_ellipsis() -> None:
    caption = texts.caption(EN, "FLUX", "x" * 1200)
    assert utf16_len(caption) == CAPTION_LIMIT
    assert caption.startswith(HEAD + "xxx")
    assert caption.endswith("x…")


def test_caption_at_the_limit_is_not_cut() -> None:
    prompt = "y" * (CAPTION_LIMIT - utf16_len(HEAD))
    assert texts.caption(EN, "FLUX", prompt) == HEAD + prompt


def test_emoji_count_twice_and_are_never_split() -> None:
    caption = texts.caption(EN, "FLUX", "🐱" * 600)  # 1200 UTF-16 units, 600 code points
    assert utf16_len(caption) <= CAPTION_LIMIT
    body = caption.removeprefix(HEAD).removesuffix("…")
    assert set(body) == {"🐱"}
    assert caption.encode("utf-16-le").decode("utf-16-le") == caption  # no lone surrogate


def test_cut_does_not_leave_a_dangling_joiner() -> None:
    family = "👨\u200d👩\u200d👧"
    room = CAPTION_LIMIT - utf16_len(HEAD) - 1  # one unit is the ellipsis
    prompt = "a" * (room - 3) + family * 10  # the cut falls right after "👨\u200d"
    caption = texts.caption(EN, "FLUX", prompt)
    assert not caption.removesuffix("…").endswith("\u200d")
    assert utf16_len(caption) <= CAPTION_LIMIT


@given(st.text(min_size=1, max_size=1000), st.sampled_from(["FLUX", "SDXL", "Kandinsky 3"]))
def test_any_prompt_fits(prompt: str, model: str) -> None:
    caption = texts.caption(EN, model, prompt)
    assert utf16_len(caption) <= CAPTION_LIMIT
    if caption.endswith("…") and not prompt.endswith("…"):
        body = caption.removeprefix(texts.caption(EN, model, "x")[:-1]).removesuffix("…")
        assert prompt.startswith(body)


@pytest.mark.parametrize("code", list(ErrorCode))
def test_failure_texts_are_friendly_and_leak_nothing(code: ErrorCode) -> None:
    text = texts.failure(EN, "SDXL", code)
    assert text
    assert not re.search(r"https?://|www\.|api[_ ]?key|token|Traceback|Bearer", text, re.I)
    assert len(text) < 300


def test_auth_failure_names_the_model() -> None:
    assert texts.failure(EN, "SDXL", ErrorCode.AUTH) == (
        "🔧 The SDXL service rejected our credentials. "
        "The team has been alerted; please try another model."
    )


def test_moderated_mentions_the_safety_filter() -> None:
    assert "safety filter" in texts.failure(EN, "FLUX", ErrorCode.MODERATED)


def test_status_lines() -> None:
    assert texts.queued(EN, "FLUX", 3) == "⏳ In FLUX queue: position 3"
    assert texts.queued(EN, "FLUX", 3, 38.0) == "⏳ In FLUX queue: position 3 · about 40 s"
    assert texts.generating(EN, "FLUX", 130.0) == "🖼️ Generating with FLUX… about 2 min"
    assert texts.generating(EN, "FLUX") == "🖼️ Generating with FLUX…"
    assert texts.generating(EN, "FLUX", 130.0, percent=40) == "🖼️ Generating with FLUX… 40%"
    assert texts.sending(EN) == "📤 Sending…"
    assert "expired" in texts.failure(EN, "FLUX", ErrorCode.EXPIRED)
    assert texts.cancelled(EN, "FLUX") == "✖ Cancelled: your FLUX image will not be made."


def test_the_caption_claims_no_enhancement_it_did_not_make() -> None:
    caption = texts.caption(EN, "FLUX", "a cat", enhanced=False, yours="a cat")
    assert caption == "🎨 Image generated with FLUX\n\n✏️ Prompt:\na cat"


def test_the_users_own_words_follow_the_prompt_the_model_saw_when_they_differ() -> None:
    yours = "گربه روی لبهٔ پنجره"
    caption = texts.caption(EN, "FLUX", "a cat on a windowsill", yours=yours)
    assert caption == HEAD + "a cat on a windowsill\n\n💬 You asked:\n" + yours
    long = texts.caption(EN, "FLUX", "x" * 1200, yours="y" * 1000)
    assert utf16_len(long) == CAPTION_LIMIT
    assert long.endswith("y" * (YOURS_LIMIT - 1) + "…")  # the user's words, bounded


def test_a_persian_status_keeps_the_model_and_numbers_isolated() -> None:
    fa = texts.texts_for("fa-IR")
    assert fa.language == "fa"
    line = texts.queued(fa, "FLUX", 3, 38.0)
    # First-strong isolates: the Latin name and each number keep their own direction.
    assert "\u2068FLUX\u2069" in line
    assert "\u20683\u2069" in line
    assert "\u206840\u2069" in line
    assert "\u2068" not in texts.queued(EN, "FLUX", 3)  # none in English
