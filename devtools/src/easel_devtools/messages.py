"""Check the Fluent catalogs (run by `just lint`): every message in every language, the
same variables in each, each language's plural forms, no syntax error, and no message
that nothing uses; nor a message used in code that a catalog lacks.

python -m easel_devtools.messages
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

from babel import Locale
from fluent.syntax import FluentParser, ast, visitor

from easel.i18n import LANGUAGES, SHARED_LOCALES
from easel_devtools.paths import ROOT

SERVICES = ROOT / "services"
# Each catalog, and the code that uses its messages.
CATALOGS: dict[Path, tuple[Path, ...]] = {
    SHARED_LOCALES: (ROOT / "shared" / "src", SERVICES),
    SERVICES / "gateway/src/easel_gateway/locales": (SERVICES / "gateway/src",),
    SERVICES / "notifier/src/easel_notifier/locales": (SERVICES / "notifier/src",),
}
_PLURAL_KEYS = frozenset({"zero", "one", "two", "few", "many", "other"})
_ID = r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*"
_USED = re.compile(rf"""["']({_ID})["']""")  # an id as a literal: t("queued"), a dict's value
# t(f"command-{name}") in Python, t(`page-stage-${state}`) in the page's script
_PREFIX = re.compile(r"""(?:f["']|`)([a-z][a-z0-9-]*-)\$?\{""")
_ASKED = re.compile(rf"""(?:\bt\(|\bPhrase\(|_bad\([^,()]+,)\s*["']({_ID})["']""")


@dataclass(frozen=True)
class Entry:
    variables: frozenset[str]
    plurals: tuple[frozenset[str], ...]  # the variant keys of each plural select


class _Reader(visitor.Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.variables: set[str] = set()
        self.plurals: list[frozenset[str]] = []

    def visit_VariableReference(self, node: ast.VariableReference) -> None:
        self.variables.add(node.id.name)

    def visit_SelectExpression(self, node: ast.SelectExpression) -> None:
        keys = frozenset(
            v.key.name if isinstance(v.key, ast.Identifier) else str(v.key.value)
            for v in node.variants
        )
        if keys <= _PLURAL_KEYS:
            self.plurals.append(keys)
        self.generic_visit(node)


def read(path: Path) -> tuple[dict[str, Entry], list[str]]:
    """A catalog file's messages, and its syntax errors."""
    resource = FluentParser().parse(path.read_text(encoding="utf-8"))
    entries: dict[str, Entry] = {}
    errors = []
    for item in resource.body:
        if isinstance(item, ast.Junk):
            note = item.annotations[0].message if item.annotations else "syntax error"
            errors.append(f"{path.name}: {note}: {item.content.strip()[:60]!r}")
        elif isinstance(item, ast.Message):
            reader = _Reader()
            reader.visit(item)
            entries[item.id.name] = Entry(frozenset(reader.variables), tuple(reader.plurals))
    return entries, errors


def plural_forms(language: str) -> frozenset[str]:
    """CLDR's plural categories for whole numbers and fractions in `language`."""
    return frozenset(Locale.parse(language).plural_form.tags | {"other"})


def problems(directory: Path, sources: tuple[Path, ...]) -> list[str]:
    found: list[str] = []
    catalogs = {}
    for language in LANGUAGES:
        entries, errors = read(directory / f"{language}.ftl")
        catalogs[language] = entries
        found += errors
    english = catalogs["en"]
    for language, entries in catalogs.items():
        for message_id in english.keys() - entries.keys():
            found.append(f"{language}.ftl lacks {message_id}")
        for message_id in entries.keys() - english.keys():
            found.append(f"{language}.ftl has {message_id}, which en.ftl does not")
        forms = plural_forms(language)
        for message_id, entry in entries.items():
            if message_id in english and entry.variables != english[message_id].variables:
                found.append(
                    f"{language}.ftl {message_id}: variables {sorted(entry.variables)},"
                    f" not en's {sorted(english[message_id].variables)}"
                )
            for keys in entry.plurals:
                if keys != forms:
                    found.append(
                        f"{language}.ftl {message_id}: plural forms {sorted(keys)},"
                        f" not {language}'s {sorted(forms)}"
                    )
    code = "\n".join(
        path.read_text(encoding="utf-8")
        for source in sources
        for path in sorted(source.rglob("*"))
        if path.suffix in (".py", ".js", ".html")
    )
    used = set(_USED.findall(code))
    prefixes = tuple(_PREFIX.findall(code))
    for message_id in sorted(english):
        if message_id not in used and not message_id.startswith(prefixes):
            found.append(f"{_shown(directory)}/en.ftl {message_id}: used nowhere")
    return found


def _shown(path: Path) -> Path:
    return path.relative_to(ROOT) if path.is_relative_to(ROOT) else path


def asked_for_but_missing() -> list[str]:
    """Messages the code asks for by name that no catalog it reads has."""
    shared = set(read(SHARED_LOCALES / "en.ftl")[0])
    found = []
    for directory, sources in CATALOGS.items():
        if directory == SHARED_LOCALES:
            continue
        known = shared | set(read(directory / "en.ftl")[0])
        for source in sources:
            for path in sorted(source.rglob("*.py")):
                for message_id in _ASKED.findall(path.read_text(encoding="utf-8")):
                    if message_id not in known:
                        found.append(f"{_shown(path)}: asks for {message_id}")
    return found


def main() -> int:
    found = [p for d, s in CATALOGS.items() for p in problems(d, s)] + asked_for_but_missing()
    for problem in found:
        print(f"messages: {problem}", file=sys.stderr)
    if found:
        return 1
    count = sum(len(read(d / "en.ftl")[0]) for d in CATALOGS)
    print(f"messages: {count} messages in {len(LANGUAGES)} languages, all consistent and used")
    return 0


if __name__ == "__main__":
    sys.exit(main())
