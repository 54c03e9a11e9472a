"""Everything the notifier says in Telegram (pure): status lines, the caption, failures, in
the user's language (`locales/<language>.ftl`; the event's `language_code`, which the
gateway set to the user's choice).

Failure texts are fixed per error code: an event's `detail` never reaches a user, so no
URL, key or stack trace can leak through them.
"""

from __future__ import annotations

from pathlib import Path

from easel.events import ErrorCode
from easel.i18n import Catalog, Texts, about

CATALOG = Catalog(Path(__file__).with_name("locales"))
CAPTION_LIMIT = 1024  # Telegram counts UTF-16 code units, after entity parsing
YOURS_LIMIT = 300  # of the caption, for the user's own words beside the model's prompt
ELLIPSIS = "…"


def texts_for(language_code: str | None) -> Texts:
    """The user's language (its base, `fa-IR` → `fa`), English when Easel lacks it."""
    return CATALOG.for_language(language_code)


def queued(
    t: Texts,
    model: str,
    position: int,
    ready_in: float | None = None,
    pause_note: str | None = None,
) -> str:
    if pause_note is not None:  # no estimate: the wait is the operator's
        return t("queued", model=model, position=position) + "\n" + pause_note
    if ready_in is None:
        return t("queued", model=model, position=position)
    return t("queued-eta", model=model, position=position, eta=about(t, ready_in))


def generating(t: Texts, model: str, left: float | None = None, percent: int | None = None) -> str:
    if percent is not None:  # the backend's own word beats an estimate
        return t("generating-percent", model=model, percent=percent)
    if left is None:
        return t("generating", model=model)
    return t("generating-eta", model=model, eta=about(t, left))


def sending(t: Texts) -> str:
    return t("sending")


def cancelled(t: Texts, model: str) -> str:
    return t("cancelled", model=model)


def caption(
    t: Texts,
    model: str,
    prompt: str,
    *,
    seed: int | None = None,
    ignored: tuple[str, ...] = (),
    enhanced: bool = True,
    yours: str | None = None,
) -> str:
    """The photo caption: the seed when the backend reported it, the parameters the model
    could not take, the prompt the model saw (said to be enhanced only when it was), and
    the user's own words where they differ. Cut to Telegram's limit with an ellipsis: the
    user's words first to `YOURS_LIMIT`, then the prompt."""
    lines = [t("caption-head", model=model)]
    if seed is not None:
        lines.append(t("caption-seed", seed=str(seed)))  # an id: never grouped (4,242)
    if ignored:
        lines.append(t("caption-ignored", model=model, flags=" ".join(ignored)))
    head = "\n".join(lines) + "\n\n" + t("caption-enhanced" if enhanced else "caption-prompt")
    tail = ""
    if yours is not None and yours.strip() != prompt.strip():
        tail = "\n\n" + t("caption-yours") + "\n" + _fit(yours, YOURS_LIMIT)
    budget = CAPTION_LIMIT - utf16_len(head) - 1 - utf16_len(tail)
    return f"{head}\n{_fit(prompt, budget)}{tail}"


_FAILURES: dict[ErrorCode, str] = {
    ErrorCode.AUTH: "failure-auth",
    ErrorCode.RATE_LIMITED: "failure-rate-limited",
    ErrorCode.MODERATED: "failure-moderated",
    ErrorCode.TIMEOUT: "failure-timeout",
    ErrorCode.BACKEND_UNAVAILABLE: "failure-backend-unavailable",
    ErrorCode.INVALID_IMAGE: "failure-invalid-image",
    ErrorCode.BAD_REQUEST: "failure-bad-request",
    ErrorCode.UNKNOWN_MODEL: "failure-unknown-model",
    ErrorCode.EXPIRED: "failure-expired",
    ErrorCode.PHOTO_UNAVAILABLE: "failure-photo-unavailable",
    ErrorCode.INTERNAL: "failure-internal",
}


def failure(t: Texts, model: str, code: ErrorCode) -> str:
    return t(_FAILURES.get(code, "failure-internal"), model=model)


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _fit(text: str, units: int) -> str:
    """`text`, or its longest prefix and an ellipsis, within `units` UTF-16 code units."""
    if utf16_len(text) <= units:
        return text
    return _cut(text, units - utf16_len(ELLIPSIS)).rstrip() + ELLIPSIS


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
