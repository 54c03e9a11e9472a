"""The renderings both Telegram services need: a paused model's note, an estimate."""

from __future__ import annotations

from easel.controls import Pause
from easel.i18n._catalog import Texts
from easel.jobs import rounded


def pause_note(t: Texts, model: str, pause: Pause) -> str:
    """What a waiting or new user of a paused model reads."""
    if pause.reason:
        return t("pause-note-why", model=model, reason=pause.reason)
    return t("pause-note", model=model)


def about(t: Texts, seconds: float) -> str:
    """An estimate, as people say it: "about 40 s", "about 3 min"."""
    value, unit = rounded(seconds)
    return t("about-seconds" if unit == "s" else "about-minutes", count=value)
