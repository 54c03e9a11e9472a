"""The gateway's environment: defaults, and a malformed token refused without echoing it."""

from __future__ import annotations

import subprocess
import sys

import pytest
from pydantic import ValidationError

from easel.controls import Access
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


def test_polling_is_the_default_and_needs_no_webhook_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:abc")
    settings = Settings()
    assert settings.gateway_mode == "polling"
    assert settings.webhook_url is None
    assert settings.webhook_secret is None
    assert settings.claim_stale_seconds == 30


def test_webhook_mode_without_url_and_secret_names_both(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:abc")
    monkeypatch.setenv("GATEWAY_MODE", "webhook")
    with pytest.raises(ValidationError) as caught:
        Settings()
    assert describe_error(caught.value) == [
        "WEBHOOK_URL: Value error, required when GATEWAY_MODE=webhook",
        "WEBHOOK_SECRET: Value error, required when GATEWAY_MODE=webhook",
    ]


def test_api_mode_needs_the_api_port(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:abc")
    monkeypatch.setenv("GATEWAY_MODE", "api")
    assert Settings().api_port == 8000
    monkeypatch.setenv("API_PORT", "0")
    with pytest.raises(ValidationError) as caught:
        Settings()
    assert describe_error(caught.value) == [
        "API_PORT: Value error, GATEWAY_MODE=api serves the HTTP API only: give it a port"
    ]


def test_the_entry_point_and_settings_load_without_aiogram() -> None:
    # GATEWAY_MODE=api never builds a bot: aiogram's import alone is 127 MiB of RSS.
    probe = (
        "import sys, easel_gateway.__main__, easel_gateway.settings;"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'aiogram'))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_webhook_mode_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:abc")
    monkeypatch.setenv("GATEWAY_MODE", "webhook")
    monkeypatch.setenv("WEBHOOK_URL", "https://easel.example.com/")
    monkeypatch.setenv("WEBHOOK_SECRET", "s3cr3t_-TOKEN")
    settings = Settings()
    assert (settings.webhook_host, settings.webhook_port) == ("0.0.0.0", 8080)
    assert settings.webhook_endpoint == "https://easel.example.com/telegram/webhook"
    monkeypatch.setenv("WEBHOOK_PATH", "/hooks/tg")
    assert Settings().webhook_endpoint == "https://easel.example.com/hooks/tg"


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        (
            "WEBHOOK_URL",
            "https://easel.example.com/telegram/webhook",
            "WEBHOOK_URL: Value error, give the public base URL;"
            " WEBHOOK_PATH (/telegram/webhook) is appended to it",
        ),
        ("WEBHOOK_URL", "easel.example.com", "WEBHOOK_URL: String should match pattern"),
        (
            "WEBHOOK_SECRET",
            "has spaces and ü",
            "WEBHOOK_SECRET: Value error, 1-256 characters of A-Z, a-z, 0-9, _ and -",
        ),
        ("WEBHOOK_PATH", "telegram", "WEBHOOK_PATH: String should match pattern"),
    ],
    ids=["url-with-the-path", "url-without-scheme", "secret-alphabet", "path-without-slash"],
)
def test_bad_webhook_settings_are_one_clear_line(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, expected: str
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:abc")
    monkeypatch.setenv("GATEWAY_MODE", "webhook")
    monkeypatch.setenv("WEBHOOK_URL", "https://easel.example.com")
    monkeypatch.setenv("WEBHOOK_SECRET", "secret")
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValidationError) as caught:
        Settings()
    [line] = describe_error(caught.value)
    assert line.startswith(expected)
    if variable == "WEBHOOK_SECRET":
        assert value not in line


def test_the_operators_controls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:abc")
    settings = Settings()
    assert (settings.access, settings.admin_user_ids) == (Access.OPEN, frozenset())
    monkeypatch.setenv("ACCESS", "allowlist")
    monkeypatch.setenv("ADMIN_USER_IDS", " 12345, 678 ,")
    settings = Settings()
    assert (settings.access, settings.admin_user_ids) == (Access.ALLOWLIST, {12345, 678})
    monkeypatch.setenv("ADMIN_USER_IDS", "")
    assert Settings().admin_user_ids == frozenset()
    monkeypatch.setenv("ADMIN_USER_IDS", "12345,@alice")
    monkeypatch.setenv("ACCESS", "closed")
    with pytest.raises(ValidationError) as caught:
        Settings()
    assert describe_error(caught.value) == [
        "ACCESS: Input should be 'open' or 'allowlist'",
        "ADMIN_USER_IDS: Value error, Telegram user ids, comma-separated, e.g. 12345,67890",
    ]
