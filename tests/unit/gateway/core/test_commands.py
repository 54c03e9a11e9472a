"""The command parser: every accepted form, and that no text can make it raise."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from easel_gateway.core.commands import HelpRequest, ImageRequest, UnknownCommand, parse

MODELS = ("flux", "sdxl")


def p(text: str, bot: str | None = "EaselBot") -> object:
    return parse(text, MODELS, bot)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/image=flux=a cat", ImageRequest("flux", "a cat")),
        ("/image=sdxl=a dog = good", ImageRequest("sdxl", "a dog = good")),
        ("/image=flux", ImageRequest("flux", "")),
        ("/image=flux a cat", ImageRequest("flux", "a cat")),
        ("/image==a cat", ImageRequest("", "a cat")),
        ("/image=dalle=a cat", ImageRequest("dalle", "a cat")),
        ("/image sdxl a dog", ImageRequest("sdxl", "a dog")),
        ("/image sdxl", ImageRequest("sdxl", "")),
        ("/image a cat", ImageRequest(None, " a cat")),
        ("/image fluxish cat", ImageRequest(None, " fluxish cat")),
        ("/image", ImageRequest(None, "")),
        ("/image\na cat\non a mat", ImageRequest(None, "\na cat\non a mat")),
        ("/sdxl a dog", ImageRequest("sdxl", " a dog")),
        ("/flux=a dog", ImageRequest("flux", "a dog")),
        ("/flux", ImageRequest("flux", "")),
    ],
)
def test_image_forms(text: str, expected: ImageRequest) -> None:
    assert p(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/IMAGE=FLUX=a Cat", ImageRequest("flux", "a Cat")),
        ("/Image SDXL a dog", ImageRequest("sdxl", "a dog")),
        ("/SDXL a dog", ImageRequest("sdxl", " a dog")),
        ("/HeLp", HelpRequest("help")),
    ],
)
def test_command_and_model_names_ignore_case(text: str, expected: object) -> None:
    assert p(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/image@EaselBot=flux=a cat", ImageRequest("flux", "a cat")),
        ("/image@easelbot a cat", ImageRequest(None, " a cat")),
        ("/sdxl@EaselBot a dog", ImageRequest("sdxl", " a dog")),
        ("/start@EaselBot", HelpRequest("start")),
        ("/nope@EaselBot", UnknownCommand("nope", addressed=True)),
    ],
)
def test_our_bot_suffix_is_accepted(text: str, expected: object) -> None:
    assert p(text) == expected


@pytest.mark.parametrize("text", ["/image@OtherBot a cat", "/help@OtherBot", "/x@OtherBot"])
def test_commands_for_another_bot_are_not_ours(text: str) -> None:
    assert p(text) is None


def test_any_suffix_is_accepted_while_our_name_is_unknown() -> None:
    assert p("/image@Whoever a cat", bot=None) == ImageRequest(None, " a cat")


@pytest.mark.parametrize("topic", ["start", "help", "models"])
def test_help_topics(topic: str) -> None:
    assert p(f"/{topic}") == HelpRequest(topic)  # type: ignore[arg-type]
    assert p(f"/{topic} extra words") == HelpRequest(topic)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "name"),
    [("/dalle a cat", "dalle"), ("/settings", "settings"), ("/Img=flux=x", "Img")],
)
def test_unknown_commands(text: str, name: str) -> None:
    assert p(text) == UnknownCommand(name, addressed=False)


@pytest.mark.parametrize(
    "text",
    ["a cat", "", " /image a cat", "image=flux=a cat", "/", "/ image", "/image!", "/😀 hi", "//x"],
)
def test_text_that_is_not_a_command(text: str) -> None:
    assert p(text) is None


@given(st.text(), st.sampled_from([None, "EaselBot"]))
def test_parser_never_raises(text: str, bot: str | None) -> None:
    parse(text, MODELS, bot)


@given(st.text(alphabet=st.characters(), min_size=0, max_size=60))
def test_parser_never_raises_on_command_like_text(tail: str) -> None:
    for head in ("/image", "/image=", "/image@EaselBot", "/flux", "/x"):
        parse(head + tail, MODELS, "EaselBot")


def test_a_command_copied_from_a_persian_text_loses_its_isolates() -> None:
    copied = "/image=\u2068sdxl\u2069=\u2068a cat\u2069"
    assert parse(copied, MODELS) == ImageRequest("sdxl", "a cat")
