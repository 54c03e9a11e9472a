"""The generator's environment beyond the shared settings and the model registry."""

from __future__ import annotations

from pydantic import Field

from easel.settings import EaselSettings


class Settings(EaselSettings):
    metrics_port: int = Field(default=9003, ge=0, le=65535)
    # First backoff between backend attempts (then ×2, ×4); tests shrink it.
    generator_retry_base_seconds: float = Field(default=1.0, ge=0, le=60)
