"""Which language a user is answered in, and how plural forms and right-to-left text come
out of the catalogs."""

from __future__ import annotations

from pathlib import Path

import pytest

from easel.i18n import Catalog, Phrase, language_of


@pytest.mark.parametrize(
    ("code", "language"),
    [
        ("fa", "fa"),
        ("fa-IR", "fa"),
        ("ru_RU", "ru"),
        ("TR", "tr"),
        ("en-GB", "en"),
        ("de", "en"),  # one Easel does not speak
        ("", "en"),
        (None, "en"),
    ],
)
def test_a_regional_variant_falls_back_to_its_base_and_anything_else_to_english(
    code: str | None, language: str
) -> None:
    assert language_of(code) == language


def catalog(tmp_path: Path) -> Catalog:
    count = "n = { $count ->\n    [one] one\n   *[other] { $count } items\n}\n"
    russian = (
        "n = { $count ->\n    [one] { $count } файл\n    [few] { $count } файла\n"
        "    [many] { $count } файлов\n   *[other] { $count } файла\n}\n"
    )
    texts = {"en": count + "hi = Hi { $name }\n", "fa": count, "tr": count, "ru": russian}
    for language, text in texts.items():
        (tmp_path / f"{language}.ftl").write_text(text + "only-here = x\n" * (language == "en"))
    return Catalog(tmp_path)


def test_russian_takes_one_few_and_many(tmp_path: Path) -> None:
    ru = catalog(tmp_path).for_language("ru")
    said = [ru("n", count=n) for n in (1, 2, 5, 11, 21, 22, 25, 111)]
    assert said == [
        "1 файл",
        "2 файла",
        "5 файлов",
        "11 файлов",
        "21 файл",
        "22 файла",
        "25 файлов",
        "111 файлов",
    ]


def test_persian_isolates_what_it_is_given_and_english_does_not(tmp_path: Path) -> None:
    texts = catalog(tmp_path)
    assert texts.for_language("fa")("n", count=7) == "\u20687\u2069 items"
    assert texts.for_language("en")("n", count=7) == "7 items"


def test_a_message_a_language_lacks_comes_in_english(tmp_path: Path) -> None:
    fa = catalog(tmp_path).for_language("fa")
    assert fa("only-here") == "x"
    assert fa.say(Phrase("hi", {"name": "Sara"})) == "Hi Sara"  # as English has it
    with pytest.raises(KeyError):
        fa("nowhere")
