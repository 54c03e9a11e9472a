"""The notifier's environment: the Bot API, its pacing, and how many events run at once."""

from __future__ import annotations

from pydantic import Field, SecretStr

from easel.settings import EaselSettings


class Settings(EaselSettings):
    metrics_port: int = Field(default=9004, ge=0, le=65535)
    telegram_bot_token: SecretStr
    telegram_api_url: str = Field(default="https://api.telegram.org", pattern=r"^https?://")
    telegram_max_calls_per_second: float = Field(default=20.0, gt=0, le=1000)
    telegram_per_chat_interval_seconds: float = Field(default=1.0, ge=0, le=60)
    telegram_timeout_seconds: float = Field(default=60.0, gt=0, le=600)
    notifier_concurrency: int = Field(default=32, ge=1, le=1024)
    # Images fetched and not yet settled by Telegram, at most: bounds memory in a burst.
    notifier_images_in_memory: int = Field(default=8, ge=1, le=1024)
    # Safety net for the event-driven queue positions (a missed event, a reconnect).
    queue_refresh_seconds: float = Field(default=5.0, gt=0, le=300)
