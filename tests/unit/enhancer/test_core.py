"""clean(): the prompt inside whatever an LLM answered, or None."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from easel.events import MAX_PROMPT_CHARS
from easel_enhancer.core import SYSTEM_PROMPT, clean, messages

CAT = "A fluffy ginger cat asleep on a sunlit windowsill, soft morning light, watercolour"


@pytest.mark.parametrize(
    "answer",
    [
        CAT,
        f"  {CAT}\n",
        f"```\n{CAT}\n```",
        f"```text\n{CAT}\n```",
        f"~~~\n{CAT}\n~~~",
        f"```{CAT}```",
        f'"{CAT}"',
        f"'{CAT}'",
        f"“{CAT}”",
        f"‘{CAT}’",
        f"«{CAT}»",
        f"`{CAT}`",
        f"Here is an enhanced prompt:\n\n{CAT}",
        f"Here's the improved version: {CAT}",
        f"Enhanced prompt: {CAT}",
        f"Prompt: {CAT}",
        f"**Enhanced Prompt:** {CAT}",
        f"Sure! Here is your prompt:\n{CAT}",
        f"Certainly. Enhanced prompt: “{CAT}”",
        f'Sure, here is a more detailed prompt:\n```\n"{CAT}"\n```',
    ],
)
def test_wrappers_are_removed(answer: str) -> None:
    assert clean(answer) == CAT


def test_whitespace_and_newlines_collapse() -> None:
    assert clean("A cat\n\non a   mat,\tat dusk\r\n") == "A cat on a mat, at dusk"


@pytest.mark.parametrize(
    "answer",
    [
        "",
        "   \n\t ",
        "```\n```",
        '""',
        "“”",
        "Enhanced prompt:",
        "Here is the enhanced prompt:",
        "***",
        "___",
        "...!?",
        "I'm sorry, but I can't help with that request.",
        "I cannot create that image.",
        "As an AI language model, I can not do this.",
    ],
)
def test_nothing_usable_is_none(answer: str) -> None:
    assert clean(answer) is None


@pytest.mark.parametrize(
    "prompt",
    [
        "Great white shark gliding through a kelp forest",
        "Okapi in the rain",
        "Sure-footed goat on a cliff",
        '"Hello" and "goodbye" written in neon',
        "Prompt engineering poster, flat design",
        "a cat & dog # 100% ? ünïcödé 猫",
    ],
)
def test_prompts_that_only_look_like_wrappers_are_kept(prompt: str) -> None:
    assert clean(prompt) == prompt


def test_long_answer_is_cut_at_a_word_boundary() -> None:
    words = " ".join(f"word{i}" for i in range(400))
    result = clean(words)
    assert result is not None
    assert len(result) <= MAX_PROMPT_CHARS
    assert words.startswith(result)
    assert words[len(result)] == " "  # the cut falls between two words


def test_one_huge_word_is_cut_hard() -> None:
    assert clean("x" * 5000) == "x" * MAX_PROMPT_CHARS


def test_exactly_the_limit_is_kept_whole() -> None:
    text = "ab " * 333 + "c"
    assert len(text) == MAX_PROMPT_CHARS
    assert clean(text) == text


def test_messages_carry_the_system_prompt_and_the_user_prompt() -> None:
    assert messages("a cat") == [
        {"role": "system", "content": SYSTEM_PROMPT},
        {"role": "user", "content": "a cat"},
    ]


@given(st.text(max_size=3000))
def test_clean_never_raises_and_respects_bounds(answer: str) -> None:
    result = clean(answer)
    assert result is None or 1 <= len(result) <= MAX_PROMPT_CHARS
    if result is not None:
        assert result == result.strip()
        assert "\n" not in result


@given(st.text(alphabet=st.characters(categories=("L", "N")), min_size=1, max_size=50))
def test_plain_words_survive(word: str) -> None:
    assert clean(f"a {word} in a field") == f"a {word} in a field"
