"""What the enhancer asks the LLM, and how its answer becomes a prompt (pure, no I/O)."""

from __future__ import annotations

import re

from easel.events import MAX_PROMPT_CHARS

SYSTEM_PROMPT = (
    "You rewrite short requests into prompts for a text-to-image model. "
    "The request may be in any language (Persian, Turkish, Russian…): translate it, "
    "since the model understands English only. "
    "Keep the subject and every detail the user asked for; add style, composition, "
    "lighting, colour and texture that fit them. Do not add people, text, brands or "
    "anything sexual or violent that the user did not ask for. "
    "Answer with the prompt only: one paragraph in English, at most 80 words, "
    "no preamble, no quotes, no explanations, no markdown."
)

TEMPERATURE = 0.7
MAX_TOKENS = 150


def messages(prompt: str) -> list[dict[str, str]]:
    """The chat messages for one enhancement."""
    return [
        {"role": "system", "content": SYSTEM_PROMPT},
        {"role": "user", "content": prompt},
    ]


_FENCE_LINE = re.compile(r"^\s*(```|~~~)[\w+-]*\s*$", re.MULTILINE)
# Lead-ins models put before the prompt despite being told not to. Applied repeatedly,
# so "Sure! Here is an enhanced prompt: **Prompt:** …" loses all three.
_PREAMBLES = (
    # Only with punctuation: "Great white shark" is a prompt, "Great! …" a lead-in.
    re.compile(r"^(sure|certainly|of course|okay|ok|absolutely|great)\s*[!.,]+\s*", re.I),
    re.compile(r"^(here(?:'s|’s| is| are)|below is)\b[^:\n]{0,120}:\s*", re.I),
    re.compile(
        r"^(the\s+)?((enhanced|improved|refined|rewritten|detailed|final|new|image)\s+)*"
        r"prompt\s*:\s*",
        re.I,
    ),
)
_EMPHASIS = re.compile(r"^[*_#>\s]+|[*_\s]+$")
_QUOTES = (
    ('"', '"'),
    ("'", "'"),
    ("“", "”"),
    ("‘", "’"),
    ("«", "»"),
    ("„", "“"),
    ("```", "```"),
    ("`", "`"),
)
# A refusal is not a prompt: render the user's own words instead.
_REFUSAL = re.compile(
    r"^(i['’]?m sorry|i am sorry|sorry,|i can(not|['’]t)|i won['’]t|as an ai)", re.I
)
_USABLE = re.compile(r"[^\W_]")  # a letter or a digit
# Answers are short (max_tokens); a runaway one is trimmed before the regexes see it.
_MAX_ANSWER_CHARS = 8 * MAX_PROMPT_CHARS


def clean(answer: str) -> str | None:
    """The prompt inside an LLM answer, or None when there is nothing usable."""
    text = _FENCE_LINE.sub("\n", answer[:_MAX_ANSWER_CHARS])
    text = " ".join(text.split())
    previous = None
    while text != previous:
        previous = text
        text = _EMPHASIS.sub("", text)
        for preamble in _PREAMBLES:
            text = preamble.sub("", text)
        text = _unquote(text.strip())
    text = _cap(text)
    if not _USABLE.search(text) or _REFUSAL.match(text):
        return None
    return text


def _unquote(text: str) -> str:
    for opening, closing in _QUOTES:
        if len(text) >= 2 and text.startswith(opening) and text.endswith(closing):
            inner = text[len(opening) : -len(closing)]
            # '"A" and "B"' is two quotations, not one quoted prompt.
            if opening not in inner and closing not in inner:
                return inner.strip()
    return text


def _cap(text: str) -> str:
    if len(text) <= MAX_PROMPT_CHARS:
        return text
    cut = text[: MAX_PROMPT_CHARS + 1]
    space = cut.rfind(" ")
    # Cut at the last word boundary; a single 1000-character "word" is cut hard.
    head = cut[:space] if space > 0 else cut[:MAX_PROMPT_CHARS]
    return head.rstrip(" ,;:-")
