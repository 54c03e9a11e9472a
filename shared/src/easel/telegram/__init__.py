"""The Telegram Bot API as both of Easel's Telegram services use it: one way to build the
bot, one reading of its errors, one way to count its calls (in each process, and for the
whole bot through NATS), one set of settings."""

from easel.telegram._bot import create_bot
from easel.telegram._budget import (
    CHAT_BURST,
    CHAT_PACED,
    Budget,
    Lane,
    Taken,
)
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
]
