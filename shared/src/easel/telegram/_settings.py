"""The settings every service that talks to the Bot API reads, checked at start."""

from __future__ import annotations

import re

from pydantic import BaseModel, Field, SecretStr, field_validator

# aiogram's own rule (aiogram.utils.token), kept here: importing aiogram costs a process
# 127 MiB, and a gateway serving only the HTTP API reads these settings without a bot.
_TOKEN = re.compile(r"\d+:\S+")


class TelegramSettings(BaseModel):
    """A mixin for a service's settings: `class Settings(EaselSettings, TelegramSettings)`.

    `TELEGRAM_BOT_CALLS_PER_SECOND` is the bot's budget, shared by every replica of every
    service through NATS. `TELEGRAM_MAX_CALLS_PER_SECOND` is one process's own ceiling
    within it, and all the pacing it has while NATS does not answer: 10 by default (the
    gateway's); the notifier's settings raise the default to its 20."""

    telegram_bot_token: SecretStr
    telegram_api_url: str = Field(default="https://api.telegram.org", pattern=r"^https?://")
    telegram_max_calls_per_second: float = Field(default=10.0, gt=0, le=1000)
    telegram_bot_calls_per_second: int = Field(default=30, ge=1, le=1000)

    @property
    def telegram_bot_id(self) -> int:
        """The bot's id, the token's public part: the budget's counters are per bot."""
        return int(self.telegram_bot_token.get_secret_value().split(":", 1)[0])

    @field_validator("telegram_bot_token")
    @classmethod
    def _looks_like_a_bot_token(cls, token: SecretStr) -> SecretStr:
        # Checked here so a typo fails at start with one line, never echoing the value.
        if not _TOKEN.fullmatch(token.get_secret_value()):
            raise ValueError("not a Telegram bot token (expected <bot id>:<secret>)")
        return token
