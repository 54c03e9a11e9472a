"""The enhancer's environment: where the LLM is, and how many requests run at once."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from easel.controls import BlocklistSettings
from easel.settings import EaselSettings


class Settings(EaselSettings, BlocklistSettings):
    # An empty variable means "not set": LLM_BASE_URL= disables enhancement cleanly.
    model_config = SettingsConfigDict(env_ignore_empty=True)

    metrics_port: int = Field(default=9002, ge=0, le=65535)
    enhancer_concurrency: int = Field(default=8, ge=1, le=256)
    llm_base_url: str | None = Field(default=None, pattern=r"^https?://")
    llm_api_key: SecretStr | None = None
    llm_model: str = Field(default="openai/gpt-4o-mini", min_length=1)
    llm_timeout_seconds: float = Field(default=30.0, gt=0, le=300)
