"""Generation parameters (pure): read from the end of a Telegram prompt
(`a cat --ar 16:9 --seed 42 --no text, watermark`), or given by an API client; each
checked against the model's config. One the model's backend cannot take is dropped and
named (`Params.ignored`), never sent.

    --size WxH     one of the model's sizes (any, if it lists none)
    --ar W:H       the model's size nearest that shape
    --seed N       0 to 4294967295
    --no WORDS     a negative prompt: what the image should not show
    --steps N      1 to 150, where the backend takes it
    --strength F   0.0 to 1.0: how far from the photo the job starts from (image-to-image)

A job from a photo that names no size gets the model's size nearest the photo's shape.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from easel.events import MAX_NEGATIVE_CHARS, SEED_MAX, Params
from easel.i18n import Phrase
from easel.settings import ModelSpec

FLAGS = ("size", "ar", "seed", "no", "steps", "strength")
_EXAMPLE = {
    "size": "--size 1024x1024",
    "ar": "--ar 16:9",
    "seed": "--seed 42",
    "no": "--no text, watermark",
    "steps": "--steps 30",
    "strength": "--strength 0.5",
}
# Lower case only ("--NO PARKING" on a sign stays prompt); "—" is what phones make of "--".
_FLAG = re.compile(r"(?:^|\s)(?:--|—)([a-z]\w*)")
_SIZE = re.compile(r"([1-9]\d{1,4})x([1-9]\d{1,4})")
_RATIO = re.compile(r"([1-9]\d?):([1-9]\d?)")
_ANY_SIZE = range(64, 4097)  # a model that lists no sizes: what any backend could make
_FIELD_OF_FLAG = {"ar": "size", "no": "negative_prompt"}  # the others are named alike


def field_of(flag: str) -> str:
    """The `Params` field (and API body field) a flag sets: `--no` is `negative_prompt`."""
    return _FIELD_OF_FLAG.get(flag, flag)


@dataclass(frozen=True)
class Photo:
    """The picture a job starts from, as Telegram describes it: its size in pixels, and
    whether it is the one the command replies to rather than one sent with it."""

    width: int
    height: int
    replied: bool = False


@dataclass(frozen=True)
class BadParameter:
    phrase: Phrase  # what is wrong, in words once rendered in the user's language
    flag: str  # e.g. "size": the API names it as `param`


def split(text: str) -> tuple[str, dict[str, str]] | BadParameter:
    """The prompt before the first `--flag`, and each flag's value (pure)."""
    found = list(_FLAG.finditer(text))
    flags: dict[str, str] = {}
    for index, match in enumerate(found):
        name = match[1]
        end = found[index + 1].start() if index + 1 < len(found) else len(text)
        value = " ".join(text[match.end() : end].split())
        if name not in FLAGS:
            known = ", ".join(f"--{flag}" for flag in FLAGS)
            return _bad(name, "param-unknown", flag=name, known=known)
        if name in flags:
            return _bad(name, "param-twice", flag=name)
        if not value:
            return _bad(name, "param-no-value", flag=name, example=_EXAMPLE[name])
        flags[name] = value
    return (text[: found[0].start()] if found else text), flags


def check(
    flags: Mapping[str, str], spec: ModelSpec, photo: Photo | None = None
) -> Params | BadParameter:
    """The parameters as the model's backend will get them; a clear message for a value
    out of range or a size the model does not make. (`init_image` is the caller's: the
    photo is stored once the job is sure to run.)"""
    if "size" in flags and "ar" in flags:
        return _bad("size", "param-size-and-ar")
    if "strength" in flags and photo is None:
        return _bad("strength", "param-strength-without-photo")
    values: dict[str, str | int | float] = {}
    for flag, raw in flags.items():
        if field_of(flag) not in spec.accepts:
            continue  # named in `ignored`: the backend never sees it, whatever its value
        match flag:
            case "size":
                size = _size(raw, spec)
            case "ar":
                size = _ratio(raw, spec)
            case "seed":
                if not raw.isdigit() or int(raw) > SEED_MAX:
                    return _bad(flag, "param-seed", max=str(SEED_MAX))
                values["seed"] = int(raw)
                continue
            case "no":
                if len(raw) > MAX_NEGATIVE_CHARS:
                    return _bad(flag, "param-negative-too-long", max=MAX_NEGATIVE_CHARS)
                values["negative_prompt"] = raw
                continue
            case "steps":
                if not raw.isdigit() or not 1 <= int(raw) <= 150:
                    return _bad(flag, "param-steps")
                values["steps"] = int(raw)
                continue
            case "strength":
                strength = _strength(raw)
                if strength is None:
                    return _bad(flag, "param-strength")
                values["strength"] = strength
                continue
            case _:
                known = ", ".join(f"--{flag}" for flag in FLAGS)
                return _bad(flag, "param-unknown", flag=flag, known=known)
        if isinstance(size, BadParameter):
            return size
        values["size"] = size
    if photo is not None and "size" not in values and "size" in spec.accepts and spec.sizes:
        values["size"] = _nearest_shape(spec.sizes, photo.width / max(photo.height, 1))
    ignored = tuple(f"--{flag}" for flag in flags if field_of(flag) not in spec.accepts)
    return Params.model_validate({**values, "ignored": ignored})


def _bad(which: str, message_id: str, **args: str | int) -> BadParameter:
    """`which` flag is wrong; `message_id` and `args` say how, in the user's language."""
    return BadParameter(Phrase(message_id, args), which)


def _strength(raw: str) -> float | None:
    try:
        value = float(raw.replace(",", "."))  # "0,5", as many keyboards write it
    except ValueError:
        return None
    return value if 0.0 <= value <= 1.0 else None


def _size(raw: str, spec: ModelSpec) -> str | BadParameter:
    match = _SIZE.fullmatch(raw.lower().replace("×", "x"))
    if match is None:
        return _bad("size", "param-size-form")
    size = f"{int(match[1])}x{int(match[2])}"
    if spec.sizes and size not in spec.sizes:
        sizes = ", ".join(spec.sizes)
        return _bad("size", "param-size-not-made", model=spec.display_name, sizes=sizes, size=size)
    if not spec.sizes and not (int(match[1]) in _ANY_SIZE and int(match[2]) in _ANY_SIZE):
        return _bad("size", "param-size-range")
    return size


def _ratio(raw: str, spec: ModelSpec) -> str | BadParameter:
    match = _RATIO.fullmatch(raw)
    if match is None:
        return _bad("ar", "param-ar-form")
    if not spec.sizes:
        return _bad("ar", "param-ar-no-sizes", model=spec.display_name)
    return _nearest_shape(spec.sizes, int(match[1]) / int(match[2]))


def _nearest_shape(sizes: tuple[str, ...], wanted: float) -> str:
    """Of `sizes`, the one whose width / height is nearest `wanted`."""

    def off(size: str) -> float:
        width, _, height = size.partition("x")
        return abs(int(width) / int(height) - wanted)

    return min(sizes, key=off)
