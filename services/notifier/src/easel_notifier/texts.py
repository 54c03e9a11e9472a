"""Everything the notifier says in Telegram (pure): status lines, the caption, failures.

Failure texts are fixed per error code: an event's `detail` never reaches a user, so no
URL, key or stack trace can leak through them.
"""

from __future__ import annotations

from easel.events import ErrorCode
from easel.jobs import rounded

CAPTION_LIMIT = 1024  # Telegram counts UTF-16 code units, after entity parsing
ELLIPSIS = "…"


def queued(
    model: str, position: int, ready_in: float | None = None, pause_note: str | None = None
) -> str:
    if pause_note is not None:  # no estimate: the wait is the operator's
        return f"⏳ In {model} queue: position {position}\n{pause_note}"
    return f"⏳ In {model} queue: position {position}{_about(ready_in, ' · ')}"


def generating(model: str, left: float | None = None, percent: int | None = None) -> str:
    if percent is not None:  # the backend's own word beats an estimate
        return f"🖼️ Generating with {model}… {percent}%"
    return f"🖼️ Generating with {model}…{_about(left, ' ')}"


def _about(seconds: float | None, before: str) -> str:
    """An estimate, as people say it; nothing before the model has a history."""
    if seconds is None:
        return ""
    value, unit = rounded(seconds)
    return f"{before}about {value} {unit}"


def sending() -> str:
    return "📤 Sending…"


def cancelled(model: str) -> str:
    return f"✖ Cancelled: your {model} image will not be made."


def caption(model: str, prompt: str, seed: int | None = None, ignored: tuple[str, ...] = ()) -> str:
    """The photo caption, cut to Telegram's limit with an ellipsis when too long: the
    seed when the backend reported it, and the parameters the model could not take."""
    head = f"🎨 Image generated with {model}\n"
    if seed is not None:
        head += f"🌱 Seed: {seed}\n"
    if ignored:
        head += f"⚙️ Ignored (not for {model}): {' '.join(ignored)}\n"
    head += "\nEnhanced prompt:\n"
    full = head + prompt
    if utf16_len(full) <= CAPTION_LIMIT:
        return full
    budget = CAPTION_LIMIT - utf16_len(head) - utf16_len(ELLIPSIS)
    return head + _cut(prompt, budget).rstrip() + ELLIPSIS


def failure(model: str, code: ErrorCode) -> str:
    return _FAILURES.get(code, _FAILURES[ErrorCode.INTERNAL]).format(model=model)


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _cut(text: str, units: int) -> str:
    """The longest prefix of `text` within `units` UTF-16 code units.

    Cuts between code points, so a surrogate pair is never split; a trailing zero-width
    joiner or variation selector would leave a half-built emoji, so it goes too.
    """
    used = 0
    for index, char in enumerate(text):
        used += 2 if ord(char) > 0xFFFF else 1
        if used > units:
            return text[:index].rstrip("\u200d\ufe0f")
    return text


_FAILURES: dict[ErrorCode, str] = {
    ErrorCode.AUTH: (
        "🔧 The {model} service rejected our credentials. "
        "The team has been alerted; please try another model."
    ),
    ErrorCode.RATE_LIMITED: (
        "🚦 The {model} service is busy right now and asked us to slow down. "
        "Please try again in a few minutes."
    ),
    ErrorCode.MODERATED: (
        "🚫 Sorry, your prompt was rejected by the model's safety filter. "
        "Please rephrase it and try again."
    ),
    ErrorCode.TIMEOUT: (
        "⏱️ {model} took too long to create your image. Please try again in a moment."
    ),
    ErrorCode.BACKEND_UNAVAILABLE: (
        "🔌 The {model} service is unavailable right now. "
        "Please try again later or try another model."
    ),
    ErrorCode.INVALID_IMAGE: ("🧩 {model} returned an image we could not use. Please try again."),
    ErrorCode.BAD_REQUEST: (
        "✏️ {model} could not work with this prompt. Please rephrase it and try again."
    ),
    ErrorCode.UNKNOWN_MODEL: (
        "❓ The model {model} is not available. Please choose another model."
    ),
    ErrorCode.EXPIRED: (
        "⌛ Your {model} image was ready, but it expired before it could be sent. "
        "Please send your request again."
    ),
    ErrorCode.PHOTO_UNAVAILABLE: (
        "🖼️ The photo to start from is no longer available. Please send it again."
    ),
    ErrorCode.INTERNAL: (
        "⚠️ Something went wrong on our side while creating your image. "
        "The team has been alerted; please try again."
    ),
}
