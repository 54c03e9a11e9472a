"""The generator's environment beyond the shared settings and the model registry."""

from __future__ import annotations

from pydantic import Field

from easel.settings import EaselSettings


class Settings(EaselSettings):
    metrics_port: int = Field(default=9003, ge=0, le=65535)
    # First backoff between backend attempts (then ×2, ×4); tests shrink it.
    generator_retry_base_seconds: float = Field(default=1.0, ge=0, le=60)
    # Longest wait for one backend answer (an attempt that hangs counts as a timeout).
    generator_backend_timeout_seconds: float = Field(default=120.0, gt=0, le=3600)
    # Consecutive failed backend attempts (5xx, network, timeout) that open a model's circuit,
    # and how long it stays open before one trial attempt.
    circuit_failure_threshold: int = Field(default=5, ge=1, le=1000)
    circuit_open_seconds: float = Field(default=60.0, gt=0, le=3600)
