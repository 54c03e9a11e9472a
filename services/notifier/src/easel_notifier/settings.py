"""The notifier's environment: the Bot API, its pacing, and how many events run at once."""

from __future__ import annotations

from pydantic import Field

from easel.settings import EaselSettings
from easel.telegram import TelegramSettings


class Settings(EaselSettings, TelegramSettings):
    metrics_port: int = Field(default=9004, ge=0, le=65535)
    # The notifier's share of the bot's ~30 calls/s; the gateway has the rest.
    telegram_max_calls_per_second: float = Field(default=20.0, gt=0, le=1000)
    telegram_per_chat_interval_seconds: float = Field(default=1.0, ge=0, le=60)
    telegram_timeout_seconds: float = Field(default=60.0, gt=0, le=600)
    notifier_concurrency: int = Field(default=32, ge=1, le=1024)
    # Images fetched and not yet settled by Telegram, at most: bounds memory in a burst.
    notifier_images_in_memory: int = Field(default=8, ge=1, le=1024)
    # Safety net for the event-driven queue positions (a missed event, a reconnect).
    queue_refresh_seconds: float = Field(default=5.0, gt=0, le=300)
