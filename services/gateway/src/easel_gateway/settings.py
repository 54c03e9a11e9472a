"""The gateway's environment: the bot token, where the Bot API is, the per-user rate limit."""

from __future__ import annotations

from typing import Literal

from aiogram.utils.token import TokenValidationError, validate_token
from pydantic import Field, SecretStr, field_validator

from easel.settings import EaselSettings


class Settings(EaselSettings):
    metrics_port: int = Field(default=9001, ge=0, le=65535)

    telegram_bot_token: SecretStr
    # Only polling exists so far, which allows exactly one replica. Refusing "webhook" at
    # start beats several replicas silently fighting over getUpdates (409 Conflict).
    gateway_mode: Literal["polling"] = "polling"
    telegram_api_url: str = Field(default="https://api.telegram.org", pattern=r"^https?://")
    rate_limit_requests: int = Field(default=10, ge=1, le=10_000)
    rate_limit_window_seconds: float = Field(default=60, gt=0, le=86_400)

    @field_validator("telegram_bot_token")
    @classmethod
    def _looks_like_a_bot_token(cls, token: SecretStr) -> SecretStr:
        # Checked here so a typo fails at start with one line, never echoing the value.
        try:
            validate_token(token.get_secret_value())
        except TokenValidationError:
            raise ValueError("not a Telegram bot token (expected <bot id>:<secret>)") from None
        return token
