"""The generator's environment variables."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from easel_generator.settings import Settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no .env from a developer's checkout
    monkeypatch.delenv("GENERATOR_RETRY_BASE_SECONDS", raising=False)
    monkeypatch.delenv("GENERATOR_BACKEND_TIMEOUT_SECONDS", raising=False)
    monkeypatch.delenv("METRICS_PORT", raising=False)


def test_defaults() -> None:
    settings = Settings()
    assert settings.generator_retry_base_seconds == 1.0
    assert settings.generator_backend_timeout_seconds == 120.0
    assert settings.metrics_port == 9003


def test_retry_base_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GENERATOR_RETRY_BASE_SECONDS", "0.05")
    assert Settings().generator_retry_base_seconds == 0.05


def test_negative_retry_base_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GENERATOR_RETRY_BASE_SECONDS", "-1")
    with pytest.raises(ValidationError, match="generator_retry_base_seconds"):
        Settings()


def test_backend_timeout_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GENERATOR_BACKEND_TIMEOUT_SECONDS", "2")
    assert Settings().generator_backend_timeout_seconds == 2.0
    monkeypatch.setenv("GENERATOR_BACKEND_TIMEOUT_SECONDS", "0")
    with pytest.raises(ValidationError, match="generator_backend_timeout_seconds"):
        Settings()
