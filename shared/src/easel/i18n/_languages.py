"""Which language a user is answered in: theirs when Easel speaks it, else English."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

LANGUAGES: Final = ("en", "fa", "tr", "ru")
DEFAULT: Final = "en"
RTL: Final = frozenset({"fa"})
# Each language by its own name: what /language offers.
NAMES: Final = {"en": "English", "fa": "فارسی", "tr": "Türkçe", "ru": "Русский"}


def language_of(code: str | None) -> str:
    """The language for an IETF tag as Telegram and browsers send it: a regional variant
    falls back to its base (`fa-IR` → `fa`), anything else to English."""
    return _spoken(code) or DEFAULT


def first_spoken(codes: Iterable[str]) -> str:
    """Of a browser's languages, preferred first, the first Easel speaks; else English."""
    return next((base for code in codes if (base := _spoken(code))), DEFAULT)


def _spoken(code: str | None) -> str | None:
    base = (code or "").replace("_", "-").split("-", 1)[0].strip().lower()
    return base if base in LANGUAGES else None
