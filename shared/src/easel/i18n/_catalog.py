"""Fluent catalogs, read once: one bundle per language, with CLDR plural rules (Babel)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import structlog
from fluent.runtime import FluentBundle, FluentResource
from fluent.syntax.ast import Message

from easel.i18n._languages import DEFAULT, LANGUAGES, RTL, language_of

log = structlog.get_logger("easel.i18n")
Value = str | int | float


# The texts both Telegram services show (buttons, a paused model's note, estimates).
SHARED_LOCALES = Path(__file__).with_name("locales")


class Catalog:
    """A service's texts in every language: `<directory>/<language>.ftl` of each directory
    (the shared texts' too), read once."""

    def __init__(self, *directories: Path) -> None:
        self.directories = (SHARED_LOCALES, *directories)
        self._bundles: dict[str, FluentBundle] = {}
        self.ids: tuple[str, ...] = ()  # every message's, from the English catalogs
        for language in LANGUAGES:
            # Isolates only where the text runs right to left: elsewhere they would be
            # invisible characters around every number for nothing.
            bundle = FluentBundle([language], use_isolating=language in RTL)
            for directory in self.directories:
                # (A syntax error drops the entry; `just lint` refuses such a catalog.)
                path = directory / f"{language}.ftl"
                resource = FluentResource(path.read_text(encoding="utf-8"))
                bundle.add_resource(resource)
                if language == DEFAULT:
                    self.ids += tuple(e.id.name for e in resource.body if isinstance(e, Message))
            self._bundles[language] = bundle

    def text(self, language: str, message_id: str, args: Mapping[str, Value] | None = None) -> str:
        """The message in `language`. KeyError for an id no catalog has (the catalogue
        check in `just lint` keeps every id in every language)."""
        bundle = self._bundles.get(language) or self._bundles[DEFAULT]
        if not bundle.has_message(message_id):
            bundle = self._bundles[DEFAULT]
        message = bundle.get_message(message_id)
        if message.value is None:
            raise KeyError(message_id)
        text, errors = bundle.format_pattern(message.value, dict(args or {}))
        if errors:  # a variable left out: the text still goes, with its name in braces
            log.warning("i18n.format_failed", message_id=message_id, error=str(errors[0]))
        return str(text)

    def for_language(self, code: str | None) -> Texts:
        return Texts(self, language_of(code))


@dataclass(frozen=True)
class Phrase:
    """A text not rendered yet: what a pure core says, in no language (`t.say(phrase)`)."""

    message_id: str
    args: Mapping[str, Value] = field(default_factory=dict)


class Texts:
    """One language's view of a catalog: `t("status-enhancing")`, `t("queued", position=3)`."""

    def __init__(self, catalog: Catalog, language: str) -> None:
        self.catalog = catalog
        self.language = language

    def __call__(self, message_id: str, **args: Value) -> str:
        return self.catalog.text(self.language, message_id, args)

    def say(self, phrase: Phrase) -> str:
        return self.catalog.text(self.language, phrase.message_id, phrase.args)
