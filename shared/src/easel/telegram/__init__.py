"""The Telegram Bot API as both of Easel's Telegram services use it: one way to build the
bot, one reading of its errors, one way to count its calls, one set of settings."""

from easel.telegram._bot import create_bot
from easel.telegram._buttons import Action, Press, cancel_keyboard, job_button, pressed
from easel.telegram._callwindow import CallWindow
from easel.telegram._errors import (
    Accepted,
    CallResult,
    Gone,
    Rejected,
    RetryAfter,
    Transient,
    classify,
)
from easel.telegram._settings import TelegramSettings

__all__ = [
    "Accepted",
    "Action",
    "CallResult",
    "CallWindow",
    "Gone",
    "Press",
    "Rejected",
    "RetryAfter",
    "TelegramSettings",
    "Transient",
    "cancel_keyboard",
    "classify",
    "create_bot",
    "job_button",
    "pressed",
]
