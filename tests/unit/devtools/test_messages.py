"""The catalogs' check in `just lint`: it catches a message missing from a language, other
variables, wrong plural forms, a syntax error and a message nothing uses."""

from __future__ import annotations

from pathlib import Path

from easel_devtools.messages import plural_forms, problems

GOOD = """
queued = In line: { $position }
count = { $count ->
    [one] { $count } request
   *[other] { $count } requests
}
spare = Never said
"""


def test_the_check_names_each_problem(tmp_path: Path) -> None:
    locales, code = tmp_path / "locales", tmp_path / "src"
    locales.mkdir()
    code.mkdir()
    (code / "texts.py").write_text('t("queued", position=1)\nt("count", count=2)\n')
    (locales / "en.ftl").write_text(GOOD)
    (locales / "fa.ftl").write_text(GOOD)
    (locales / "tr.ftl").write_text(GOOD.replace("{ $position }", "{ $place }"))
    (locales / "ru.ftl").write_text(GOOD.replace("spare = Never said", "spare = = broken {"))
    found = problems(locales, (code,))
    assert "ru.ftl lacks spare" in found
    assert "tr.ftl queued: variables ['place'], not en's ['position']" in found
    assert (
        "ru.ftl count: plural forms ['one', 'other'], not ru's ['few', 'many', 'one', 'other']"
        in found
    )
    assert any(p.startswith("ru.ftl: Expected") or p.startswith("ru.ftl: ") for p in found)
    assert any(p.endswith("en.ftl spare: used nowhere") for p in found)
    assert not any("fa.ftl" in p for p in found)  # one and other: Persian's forms


def test_each_languages_plural_forms_come_from_cldr() -> None:
    assert plural_forms("ru") == {"one", "few", "many", "other"}
    assert plural_forms("fa") == {"one", "other"}
    assert plural_forms("en") == {"one", "other"}
