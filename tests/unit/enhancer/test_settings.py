"""The enhancer's environment variables."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from easel_enhancer.settings import Settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no .env from a developer's checkout
    for name in ("LLM_BASE_URL", "LLM_API_KEY", "LLM_MODEL", "LLM_TIMEOUT_SECONDS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("ENHANCER_CONCURRENCY", raising=False)
    monkeypatch.delenv("METRICS_PORT", raising=False)


def test_defaults() -> None:
    settings = Settings()
    assert settings.llm_base_url is None
    assert settings.llm_api_key is None
    assert settings.llm_model == "openai/gpt-4o-mini"
    assert settings.llm_timeout_seconds == 30
    assert settings.enhancer_concurrency == 8
    assert settings.metrics_port == 9002


def test_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLM_BASE_URL", "https://openrouter.ai/api/v1")
    monkeypatch.setenv("LLM_API_KEY", "sk-very-secret")
    monkeypatch.setenv("ENHANCER_CONCURRENCY", "3")
    settings = Settings()
    assert settings.llm_base_url == "https://openrouter.ai/api/v1"
    assert settings.llm_api_key is not None
    assert settings.llm_api_key.get_secret_value() == "sk-very-secret"
    assert "sk-very-secret" not in repr(settings)
    assert settings.enhancer_concurrency == 3


def test_empty_base_url_means_not_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLM_BASE_URL", "")
    monkeypatch.setenv("LLM_API_KEY", "")
    settings = Settings()
    assert settings.llm_base_url is None
    assert settings.llm_api_key is None


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("LLM_BASE_URL", "openrouter.ai/api/v1"),
        ("LLM_TIMEOUT_SECONDS", "0"),
        ("ENHANCER_CONCURRENCY", "0"),
    ],
)
def test_bad_values_are_refused(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError, match=name.lower()):
        Settings()
