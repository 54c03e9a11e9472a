"""The blocklist matches whole words and regular expressions on normalised text."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from easel.controls import Blocklist, BlocklistSettings

LIST = """
# words and phrases match whole words
gore
blood   bath
café
re:\\bnsfw\\w*
"""


@pytest.mark.parametrize(
    "prompt",
    [
        "a gore scene",
        "GORE",
        "ｇｏｒｅ in full width",  # NFKC folds the full-width letters
        "g\u200bore hidden by a zero-width space",
        "a Blood Bath",
        "a blood\n\t bath",  # any run of spaces between an entry's words
        "g\u0336o\u0336r\u0336e\u0336",  # combining strokes over the letters
        "nsfw-ish",
        "NSFWstuff",
        "Straße gore",
        "a cafe and a CAFÉ",  # accents are marks too
    ],
)
def test_blocked(prompt: str) -> None:
    assert Blocklist.parse(LIST).blocks(prompt)


@pytest.mark.parametrize(
    "prompt",
    ["a gorey tale", "Gorean hills", "blood and a bath", "a cat on a windowsill", ""],
)
def test_not_blocked(prompt: str) -> None:
    assert not Blocklist.parse(LIST).blocks(prompt)


def test_an_empty_list_blocks_nothing() -> None:
    assert len(Blocklist.parse("# nothing yet\n")) == 0
    assert not Blocklist().blocks("anything")


def test_a_bad_regular_expression_is_named_by_its_line() -> None:
    with pytest.raises(ValueError, match="line 2: not a regular expression"):
        Blocklist.parse("ok\nre:(unclosed\n")


def test_the_setting_refuses_a_missing_or_bad_file(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match=r"cannot read .*No such file"):
        BlocklistSettings(blocklist_file=tmp_path / "missing.txt")
    bad = tmp_path / "bad.txt"
    bad.write_text("re:[\n")
    with pytest.raises(ValidationError, match="line 1"):
        BlocklistSettings(blocklist_file=bad)
    good = tmp_path / "good.txt"
    good.write_text("gore\n")
    assert BlocklistSettings(blocklist_file=good).blocklist_file == good


def test_an_empty_setting_means_no_list() -> None:
    assert BlocklistSettings(blocklist_file="").blocklist_file is None  # type: ignore[arg-type]
