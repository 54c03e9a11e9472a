"""The gateway's environment: defaults, and a malformed token refused without echoing it."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from easel.settings import describe_error
from easel_gateway.settings import Settings


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:abc")
    settings = Settings()
    assert settings.metrics_port == 9001
    assert settings.telegram_api_url == "https://api.telegram.org"
    assert settings.rate_limit_requests == 10
    assert settings.rate_limit_window_seconds == 60


@pytest.mark.parametrize("token", ["hunter2-not-a-token", "abc:def", "123:", "12 3:abc"])
def test_a_malformed_token_is_one_clear_line_without_the_value(
    monkeypatch: pytest.MonkeyPatch, token: str
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", token)
    with pytest.raises(ValidationError) as caught:
        Settings()
    [line] = describe_error(caught.value)
    assert line == (
        "TELEGRAM_BOT_TOKEN: Value error, not a Telegram bot token (expected <bot id>:<secret>)"
    )
    assert token not in line


def test_webhook_mode_is_refused_until_it_exists(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:abc")
    monkeypatch.setenv("GATEWAY_MODE", "webhook")
    with pytest.raises(ValidationError) as caught:
        Settings()
    assert describe_error(caught.value) == ["GATEWAY_MODE: Input should be 'polling'"]
