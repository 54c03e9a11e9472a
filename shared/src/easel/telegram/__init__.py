"""The Telegram Bot API as both of Easel's Telegram services use it: one way to build the
bot, one reading of its errors, one way to count its calls (in each process, and for the
whole bot through NATS), one set of settings.

What needs aiogram is imported on first use: a gateway serving only the HTTP API reads
the settings and never loads aiogram, whose import alone costs a process 127 MiB."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from easel.telegram._budget import (
    CHAT_BURST,
    CHAT_PACED,
    Budget,
    Lane,
    Taken,
)
from easel.telegram._callwindow import CallWindow
from easel.telegram._settings import TelegramSettings

if TYPE_CHECKING:
    from easel.telegram._bot import create_bot
    from easel.telegram._buttons import (
        Action,
        Press,
        cancel_keyboard,
        job_button,
        pressed,
        result_keyboard,
    )
    from easel.telegram._errors import (
        Accepted,
        CallResult,
        Gone,
        Rejected,
        RetryAfter,
        Transient,
        classify,
    )

_WITH_AIOGRAM = {
    "create_bot": "_bot",
    **dict.fromkeys(
        ("Action", "Press", "cancel_keyboard", "job_button", "pressed", "result_keyboard"),
        "_buttons",
    ),
    **dict.fromkeys(
        ("Accepted", "CallResult", "Gone", "Rejected", "RetryAfter", "Transient", "classify"),
        "_errors",
    ),
}


def __getattr__(name: str) -> object:
    module = _WITH_AIOGRAM.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)


__all__ = [
    "CHAT_BURST",
    "CHAT_PACED",
    "Accepted",
    "Action",
    "Budget",
    "CallResult",
    "CallWindow",
    "Gone",
    "Lane",
    "Press",
    "Rejected",
    "RetryAfter",
    "Taken",
    "TelegramSettings",
    "Transient",
    "cancel_keyboard",
    "classify",
    "create_bot",
    "job_button",
    "pressed",
    "result_keyboard",
]
