"""Decide whether a parsed image command may become a job. Pure: no I/O, never raises."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from easel.controls import Blocklist
from easel.events import MAX_PROMPT_CHARS, Params
from easel.i18n import Phrase
from easel.settings import ModelRegistry
from easel_gateway.core import params
from easel_gateway.core.commands import ImageRequest

# Control, format (zero-width, bidi overrides, tag characters), surrogate and private-use
# characters carry nothing an image model can use and can hide text from the user.
# Unassigned code points (Cn) stay: Python's Unicode table lags behind new emoji.
_REMOVED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co"})


class Reason(StrEnum):
    UNKNOWN_MODEL = "unknown_model"
    EMPTY_PROMPT = "empty_prompt"
    PROMPT_TOO_LONG = "prompt_too_long"
    BLOCKED = "blocked"  # the operator's blocklist
    BAD_PARAMETER = "bad_parameter"  # --size, --seed … out of range, or not the model's
    PHOTO_NOT_TAKEN = "photo_not_taken"  # a photo to start from, for a model that cannot
    PHOTO_NEEDED = "photo_needed"  # a model whose every job starts from a photo, without one


@dataclass(frozen=True)
class Accepted:
    model: str
    prompt: str
    params: Params = field(default_factory=Params)
    from_photo: bool = False  # starts from the photo the command came with


@dataclass(frozen=True)
class Rejected:
    reason: Reason
    model: str  # as the user wrote it (lower case), or the default model
    length: int = 0  # the cleaned prompt's length, for PROMPT_TOO_LONG
    detail: Phrase | None = None  # for BAD_PARAMETER: what is wrong, in words for the user
    param: str = ""  # for BAD_PARAMETER: which one


def validate(
    request: ImageRequest,
    registry: ModelRegistry,
    blocklist: Blocklist | None = None,
    flags: Mapping[str, str] | None = None,
    photo: params.Photo | None = None,
) -> Accepted | Rejected:
    """`flags`: the parameters an API client gave; None reads them from the end of the
    prompt, as a Telegram user writes them (`… --ar 16:9 --seed 42`). `photo`: the one the
    command came with (as a caption, or in reply), to start from."""
    model = registry.default if request.model is None else request.model
    spec = registry.get(model)
    if spec is None:
        return Rejected(Reason.UNKNOWN_MODEL, model)
    if photo is not None and "image" not in spec.accepts:
        if not photo.replied:
            return Rejected(Reason.PHOTO_NOT_TAKEN, model)
        photo = None  # a reply to any photo (Easel's own, a group's) stays text-to-image
    if photo is None and spec.needs_image:
        return Rejected(Reason.PHOTO_NEEDED, model)
    text = request.prompt
    if flags is None:
        found = params.split(text)
        if isinstance(found, params.BadParameter):
            return Rejected(Reason.BAD_PARAMETER, model, detail=found.phrase, param=found.flag)
        text, flags = found
    prompt = clean_prompt(text)
    if not prompt:
        return Rejected(Reason.EMPTY_PROMPT, model)
    if len(prompt) > MAX_PROMPT_CHARS:
        return Rejected(Reason.PROMPT_TOO_LONG, model, len(prompt))
    if blocklist is not None and blocklist.blocks(prompt):
        return Rejected(Reason.BLOCKED, model)
    checked = params.check(flags, spec, photo)
    if isinstance(checked, params.BadParameter):
        return Rejected(Reason.BAD_PARAMETER, model, detail=checked.phrase, param=checked.flag)
    return Accepted(model, prompt, checked, from_photo=photo is not None)


def clean_prompt(raw: str) -> str:
    """Whitespace of any kind (newlines, tabs, NBSP …) becomes one space; invisible and
    control characters are removed, so "a\\x00cat\\u200b" is "acat"; then trimmed."""
    kept = (" " if ch.isspace() else ch for ch in raw if not _removed(ch))
    return " ".join("".join(kept).split())


def _removed(ch: str) -> bool:
    if ch.isspace():
        return False  # "\n", "\t", "\x1c"… are category Cc, but they separate words
    return unicodedata.category(ch) in _REMOVED_CATEGORIES or _noncharacter(ch)


def _noncharacter(ch: str) -> bool:
    code = ord(ch)
    return 0xFDD0 <= code <= 0xFDEF or code & 0xFFFE == 0xFFFE
