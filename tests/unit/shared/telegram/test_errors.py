"""How each Bot API failure is read: retry, success, silent give-up or refusal."""

from __future__ import annotations

import aiohttp
import pytest
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramEntityTooLarge,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import EditMessageText

from easel.telegram import Accepted, Gone, Rejected, RetryAfter, Transient, classify

METHOD = EditMessageText(text="x", chat_id=1, message_id=2)
TOKEN = "123456789:AAAA-secret-token-value-xxxxxxxx"


def test_retry_after() -> None:
    error = TelegramRetryAfter(METHOD, "Too Many Requests: retry after 7", retry_after=7)
    assert classify(error) == ("retry_after", RetryAfter(7.0))


@pytest.mark.parametrize(
    ("description", "expected"),
    [
        ("Bad Request: message is not modified: specified new message content", Accepted()),
        ("Bad Request: message to edit not found", Gone()),
        ("Bad Request: message to delete not found", Gone()),
        ("Bad Request: message can't be deleted for everyone", Gone()),
        ("Bad Request: chat not found", Rejected("Bad Request: chat not found")),
    ],
)
def test_bad_requests(description: str, expected: object) -> None:
    assert classify(TelegramBadRequest(METHOD, description))[1] == expected


def test_forbidden_is_a_refusal() -> None:
    error = TelegramForbiddenError(METHOD, "Forbidden: bot was blocked by the user")
    assert classify(error) == ("forbidden", Rejected("Forbidden: bot was blocked by the user"))


def test_network_errors_are_transient_and_do_not_carry_the_url() -> None:
    cause = aiohttp.ClientConnectionError(f"cannot reach https://api.telegram.org/bot{TOKEN}/x")
    error = TelegramNetworkError(METHOD, f"ClientConnectionError: {cause}")
    error.__cause__ = cause
    kind, result = classify(error)
    assert kind == "network"
    assert result == Transient("ClientConnectionError")
    assert TOKEN not in repr(result)


def test_too_large_is_permanent_although_a_network_error() -> None:
    assert classify(TelegramEntityTooLarge(METHOD, "Request Entity Too Large"))[1] == Rejected(
        "file too large"
    )


def test_server_errors_are_transient() -> None:
    kind, result = classify(TelegramServerError(METHOD, "Internal Server Error"))
    assert (kind, type(result)) == ("server", Transient)


def test_unexpected_exceptions_are_transient() -> None:
    assert classify(RuntimeError("boom")) == ("other", Transient("RuntimeError"))
