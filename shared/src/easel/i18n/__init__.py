"""The languages Easel speaks to its users, and its texts in each.

Each service keeps its texts in Fluent catalogs (`locales/<language>.ftl`, one per
language, the same message ids in each); `Catalog` reads them once at start, and `Texts`
is one user's view of them. Persian reads right to left: its placeables are wrapped in
Unicode isolates, so a number or a model name keeps its own direction inside the text.
"""

from easel.i18n._catalog import SHARED_LOCALES, Catalog, Phrase, Texts
from easel.i18n._common import about, pause_note
from easel.i18n._languages import DEFAULT, LANGUAGES, NAMES, RTL, first_spoken, language_of

__all__ = [
    "DEFAULT",
    "LANGUAGES",
    "NAMES",
    "RTL",
    "SHARED_LOCALES",
    "Catalog",
    "Phrase",
    "Texts",
    "about",
    "first_spoken",
    "language_of",
    "pause_note",
]
