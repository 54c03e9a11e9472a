"""The settings every service that talks to the Bot API reads, checked at start."""

from __future__ import annotations

from aiogram.utils.token import TokenValidationError, validate_token
from pydantic import BaseModel, Field, SecretStr, field_validator


class TelegramSettings(BaseModel):
    """A mixin for a service's settings: `class Settings(EaselSettings, TelegramSettings)`.

    `TELEGRAM_MAX_CALLS_PER_SECOND` is the service's share of the bot's ~30 calls/s: 10 by
    default (the gateway's); the notifier's settings raise the default to its 20."""

    telegram_bot_token: SecretStr
    telegram_api_url: str = Field(default="https://api.telegram.org", pattern=r"^https?://")
    telegram_max_calls_per_second: float = Field(default=10.0, gt=0, le=1000)

    @field_validator("telegram_bot_token")
    @classmethod
    def _looks_like_a_bot_token(cls, token: SecretStr) -> SecretStr:
        # Checked here so a typo fails at start with one line, never echoing the value.
        try:
            validate_token(token.get_secret_value())
        except TokenValidationError:
            raise ValueError("not a Telegram bot token (expected <bot id>:<secret>)") from None
        return token
