"""The prompt blocklist (`BLOCKLIST_FILE`), pure once loaded.

One entry per line; `#` starts a comment line. An entry is a word or phrase, matched as
whole words (any run of spaces between its words), or `re:` and a regular expression,
written in lower case. Entries and prompts are compared after Unicode compatibility
normalisation, case folding, and the removal of invisible format characters and combining
marks, so "ＣＡＴ", "Cat", "c\u200bat" and "c̶a̶t̶" all match the entry "cat" (and "café"
matches "cafe"). Whole words need spaces around them: in text without spaces between words
(Chinese, Japanese, Thai) use `re:`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, field_validator

_REGEX = "re:"
_DROPPED = frozenset({"Cf", "Mn"})  # invisible format characters; combining marks


def normalise(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    kept = "".join(c for c in decomposed if unicodedata.category(c) not in _DROPPED)
    return unicodedata.normalize("NFKC", kept).casefold()


@dataclass(frozen=True)
class Blocklist:
    patterns: tuple[re.Pattern[str], ...] = ()

    @classmethod
    def parse(cls, text: str) -> Blocklist:
        """Raises ValueError naming the line of a bad regular expression."""
        patterns = []
        for number, raw in enumerate(text.splitlines(), start=1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            if line.startswith(_REGEX):
                try:
                    patterns.append(re.compile(line[len(_REGEX) :], re.IGNORECASE))
                except re.error as error:
                    raise ValueError(f"line {number}: not a regular expression: {error}") from None
            else:
                words = r"\s+".join(re.escape(word) for word in normalise(line).split())
                patterns.append(re.compile(rf"(?<!\w){words}(?!\w)"))
        return cls(tuple(patterns))

    @classmethod
    def load(cls, path: Path | None) -> Blocklist:
        return cls() if path is None else cls.parse(path.read_text(encoding="utf-8"))

    def blocks(self, prompt: str) -> bool:
        if not self.patterns:
            return False
        text = normalise(prompt)
        return any(pattern.search(text) for pattern in self.patterns)

    def __len__(self) -> int:
        return len(self.patterns)


class BlocklistSettings(BaseModel):
    """Mixin for the services that check prompts: the gateway and the enhancer."""

    blocklist_file: Path | None = None

    @field_validator("blocklist_file", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if value == "" else value  # BLOCKLIST_FILE= in a manifest: no list

    @field_validator("blocklist_file")
    @classmethod
    def _readable(cls, path: Path | None) -> Path | None:
        if path is not None:
            try:  # a missing file or a bad entry stops the start, named
                Blocklist.load(path)
            except OSError as error:
                raise ValueError(f"cannot read {path}: {error.strerror}") from None
        return path
