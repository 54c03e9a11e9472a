"""The inline buttons a job's messages carry, and what a press of one asks for.

A button's callback_data is `<action>:<job id>`: at most 64 bytes, which Telegram job ids
(`tg_<chat>_<message>`) stay well under.
"""

from __future__ import annotations

from enum import StrEnum
from typing import NamedTuple

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

_CALLBACK_DATA_BYTES = 64  # Telegram's limit


class Action(StrEnum):
    CANCEL = "cancel"  # the status message's "✖ Cancel"
    PHOTO = "photo"  # /history's "send it again"
    AGAIN = "again"  # a delivered photo's "🔁 Again": the same request, a new seed
    VARY = "vary"  # a delivered photo's "🎲 Variation": image-to-image of it


class Press(NamedTuple):
    action: Action
    job_id: str


def job_button(action: Action, job_id: str, label: str) -> InlineKeyboardButton:
    data = f"{action.value}:{job_id}"
    if len(data.encode()) > _CALLBACK_DATA_BYTES:
        raise ValueError(f"callback data for {job_id!r} is over Telegram's 64 bytes")
    return InlineKeyboardButton(text=label, callback_data=data)


def cancel_keyboard(job_id: str, label: str) -> InlineKeyboardMarkup:
    """A status message's "✖ Cancel", `label` in the user's language."""
    return InlineKeyboardMarkup(inline_keyboard=[[job_button(Action.CANCEL, job_id, label)]])


def result_keyboard(job_id: str, again: str, variation: str | None) -> InlineKeyboardMarkup:
    """Under a delivered photo, labelled in the user's language; "🎲 Variation" (None: not
    shown) only where the model can start from a photo."""
    row = [job_button(Action.AGAIN, job_id, again)]
    if variation is not None:
        row.append(job_button(Action.VARY, job_id, variation))
    return InlineKeyboardMarkup(inline_keyboard=[row])


def pressed(data: str | None) -> Press | None:
    """What a callback's data asks for; None for anything not ours."""
    action, _, job_id = (data or "").partition(":")
    try:
        return Press(Action(action), job_id) if job_id else None
    except ValueError:
        return None
