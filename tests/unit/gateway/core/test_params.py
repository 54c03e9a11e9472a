"""Generation parameters: read from the end of a Telegram prompt, checked against the
model's config, and dropped (named) where the model's backend cannot take them."""

from __future__ import annotations

import pytest

from easel.events import Params
from easel.settings import ModelRegistry, ModelSpec
from easel_gateway.catalog import ENGLISH
from easel_gateway.core.commands import ImageRequest
from easel_gateway.core.params import BadParameter, Photo, check, split
from easel_gateway.core.validation import Accepted, Reason, Rejected, validate

FORGE = ModelSpec(
    name="forge",
    display_name="Forge",
    backend="a1111",
    url="http://forge",
    sizes=("1024x1024", "1344x768", "768x1344"),
)
FLUX = ModelSpec(name="flux", display_name="FLUX", backend="get_query", url="http://flux")
DALLE = ModelSpec(
    name="dalle",
    display_name="DALL·E 3",
    backend="openai_images",
    url="http://openai/v1",
    sizes=("1024x1024", "1792x1024"),
)


def test_the_flags_follow_the_prompt() -> None:
    assert split("a cat on a windowsill --ar 16:9 --seed 42 --no text, watermark") == (
        "a cat on a windowsill",
        {"ar": "16:9", "seed": "42", "no": "text, watermark"},
    )
    assert split("state-of-the-art robot — no flags") == ("state-of-the-art robot — no flags", {})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "a cat --colour red",
            "Unknown parameter --colour. Known: --size, --ar, --seed, --no, --steps, --strength.",
        ),
        ("a cat --seed 1 --seed 2", "--seed is given twice."),
        ("a cat --seed", "--seed needs a value, e.g. --seed 42."),
    ],
)
def test_a_malformed_flag_is_named(text: str, message: str) -> None:
    found = split(text)
    assert isinstance(found, BadParameter)
    assert ENGLISH.say(found.phrase) == message


def test_a1111_takes_them_all_and_an_aspect_picks_the_nearest_size() -> None:
    params = check({"ar": "16:9", "seed": "42", "no": "text", "steps": "30"}, FORGE)
    assert params == Params(size="1344x768", seed=42, negative_prompt="text", steps=30)


def test_a_size_the_model_does_not_make_lists_the_ones_it_does() -> None:
    refused = check({"size": "512x512"}, FORGE)
    assert isinstance(refused, BadParameter)
    assert refused.flag == "size"
    assert ENGLISH.say(refused.phrase) == "Forge makes 1024x1024, 1344x768, 768x1344; not 512x512."


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        ({"seed": "-1"}, "--seed takes a whole number from 0 to 4294967295."),
        ({"seed": "4294967296"}, "--seed takes a whole number from 0 to 4294967295."),
        ({"steps": "0"}, "--steps takes a whole number from 1 to 150."),
        ({"size": "big"}, "--size takes WxH, e.g. --size 1024x1024."),
        ({"ar": "wide"}, "--ar takes W:H, e.g. --ar 16:9."),
        ({"size": "1024x1024", "ar": "1:1"}, "Give --size or --ar, not both."),
    ],
)
def test_a_value_out_of_range_is_refused(flags: dict[str, str], message: str) -> None:
    refused = check(flags, FORGE)
    assert isinstance(refused, BadParameter)
    assert ENGLISH.say(refused.phrase) == message


def test_what_the_backend_cannot_take_is_dropped_and_named() -> None:
    assert check({"seed": "42", "ar": "16:9"}, FLUX) == Params(ignored=("--seed", "--ar"))
    assert check({"ar": "16:9", "steps": "20", "no": "x"}, DALLE) == Params(
        size="1792x1024", ignored=("--steps", "--no")
    )


def test_the_telegram_path_reads_them_and_the_api_gives_them() -> None:
    registry = ModelRegistry(models=(FORGE, FLUX), default="forge")
    telegram = validate(ImageRequest("forge", "a heron --seed 7"), registry)
    assert telegram == Accepted("forge", "a heron", Params(seed=7))
    api = validate(ImageRequest("forge", "a heron --seed 7"), registry, flags={"size": "1024x1024"})
    assert api == Accepted("forge", "a heron --seed 7", Params(size="1024x1024"))  # as written
    refused = validate(ImageRequest("forge", "a heron --size 1x1"), registry)
    assert isinstance(refused, Rejected)
    assert (refused.reason, refused.param) == (Reason.BAD_PARAMETER, "size")
    assert validate(ImageRequest("forge", "--seed 3"), registry) == Rejected(
        Reason.EMPTY_PROMPT, "forge"
    )


def test_only_lower_case_flags_count_and_a_phones_dash_does() -> None:
    assert split("a sign that reads --NO PARKING") == ("a sign that reads --NO PARKING", {})
    assert split("a kite —seed 5") == ("a kite", {"seed": "5"})


def test_an_openai_model_without_sizes_is_sent_none() -> None:
    bare = DALLE.model_copy(update={"sizes": ()})
    assert check({"size": "1024x1024"}, bare) == Params(ignored=("--size",))


def test_a_photo_brings_its_strength_and_its_shape_picks_the_size() -> None:
    wide = Photo(1280, 720)
    assert check({"strength": "0,4"}, FORGE, wide) == Params(size="1344x768", strength=0.4)
    assert check({"size": "1024x1024"}, FORGE, wide) == Params(size="1024x1024")
    assert check({}, FORGE, Photo(600, 900)) == Params(size="768x1344")
    refused = check({"strength": "0.4"}, FORGE)
    assert isinstance(refused, BadParameter)
    assert ENGLISH.say(refused.phrase).startswith("--strength is for a photo")
    too_strong = check({"strength": "1.5"}, FORGE, wide)
    assert isinstance(too_strong, BadParameter)
    assert ENGLISH.say(too_strong.phrase) == "--strength takes a number from 0.0 to 1.0."
    # An edits endpoint takes the photo, not a strength: named, never sent.
    edits = DALLE.model_copy(update={"upstream_model": "gpt-image-1"})
    assert check({"strength": "0.4"}, edits, wide).ignored == ("--strength",)  # type: ignore[union-attr]


def test_a_photo_goes_only_to_a_model_that_can_start_from_one() -> None:
    graph = {"6": {"inputs": {"text": ""}}, "10": {"inputs": {"image": "x.png"}}}
    needs = ModelSpec(
        name="edit",
        display_name="Comfy edit",
        backend="comfyui",
        url="http://comfy",
        graph=graph,
        inputs={"prompt": "6.inputs.text", "image": "10.inputs.image"},
    )
    registry = ModelRegistry(models=(FORGE, FLUX, needs), default="forge")
    photo = Photo(512, 512)
    assert validate(ImageRequest("flux", "a heron"), registry, photo=photo) == Rejected(
        Reason.PHOTO_NOT_TAKEN, "flux"
    )
    assert validate(ImageRequest("edit", "a heron"), registry) == Rejected(
        Reason.PHOTO_NEEDED, "edit"
    )
    accepted = validate(ImageRequest("edit", "a heron"), registry, photo=photo)
    assert isinstance(accepted, Accepted)


def test_a_replied_photo_goes_only_where_it_can_and_else_is_passed_over() -> None:
    registry = ModelRegistry(models=(FORGE, FLUX), default="forge")
    replied = Photo(512, 512, replied=True)
    text_only = validate(ImageRequest("flux", "a heron"), registry, photo=replied)
    assert text_only == Accepted("flux", "a heron")  # a reply to a photo, as text-to-image
    assert not text_only.from_photo  # type: ignore[union-attr]
    from_it = validate(ImageRequest("forge", "a heron"), registry, photo=replied)
    assert isinstance(from_it, Accepted)
    assert from_it.from_photo
