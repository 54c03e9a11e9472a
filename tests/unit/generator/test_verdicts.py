"""The generator's pure decisions: what one backend answer means for the job."""

from __future__ import annotations

import json

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from easel.events import ErrorCode
from easel_devtools.standins import TINY_JPEG, png
from easel_generator import verdicts
from easel_generator.verdicts import Failure, Retryable, Success

PNG = png("a cat")
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + bytes(24)
GIF = b"GIF89a" + bytes(20)


@pytest.mark.parametrize(
    ("content_type", "body", "mime"),
    [
        ("image/png", PNG, "image/png"),
        ("image/jpeg", TINY_JPEG, "image/jpeg"),
        ("image/webp", WEBP, "image/webp"),
        ("image/gif", GIF, "image/gif"),
        ("IMAGE/PNG; charset=binary", PNG, "image/png"),
        ("image/jpeg", PNG, "image/png"),  # the bytes decide the type we store
    ],
)
def test_an_image_is_a_success(content_type: str, body: bytes, mime: str) -> None:
    assert verdicts.classify_response(200, content_type, None, body) == Success(mime)


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("text/html; charset=utf-8", b"<html><body>502 Bad Gateway</body></html>"),
        ("application/json", b'{"image": "..."}'),
        (None, PNG),
        ("image/png", b"<html>not really</html>"),
        ("image/png", b""),
        ("application/octet-stream", PNG),
    ],
)
def test_a_200_that_is_not_an_image_is_invalid_and_final(
    content_type: str | None, body: bytes
) -> None:
    verdict = verdicts.classify_response(200, content_type, None, body)
    assert isinstance(verdict, Failure)
    assert verdict.code == ErrorCode.INVALID_IMAGE


def test_invalid_image_detail_does_not_echo_a_hostile_content_type() -> None:
    verdict = verdicts.classify_response(200, "text/html<script>alert(1)</script>" * 5, None, b"x")
    assert isinstance(verdict, Failure)
    assert "<" not in verdict.detail
    assert len(verdict.detail) < 80


@pytest.mark.parametrize("status", [500, 502, 503, 504, 599])
def test_5xx_is_retryable_as_backend_unavailable(status: int) -> None:
    verdict = verdicts.classify_response(status, "application/json", None, b"{}")
    assert verdict == Retryable(ErrorCode.BACKEND_UNAVAILABLE, f"HTTP {status}", None)


def test_429_is_retryable_and_honours_retry_after() -> None:
    verdict = verdicts.classify_response(429, "application/json", "7", b"{}")
    assert verdict == Retryable(ErrorCode.RATE_LIMITED, "HTTP 429", 7.0)


@pytest.mark.parametrize("status", [401, 403])
def test_auth_errors_are_final(status: int) -> None:
    verdict = verdicts.classify_response(status, "application/json", None, b'{"error": "bad key"}')
    assert verdict == Failure(ErrorCode.AUTH, f"HTTP {status}")


@pytest.mark.parametrize("status", [400, 422, 451])
@pytest.mark.parametrize(
    "body",
    [
        {"error": "Prompt rejected by moderation"},
        {"detail": {"reason": "SAFETY_FILTER"}},
        {"error": {"code": "nsfw_content"}},
    ],
)
def test_moderation_refusals_are_moderated(status: int, body: object) -> None:
    verdict = verdicts.classify_response(
        status, "application/json", None, json.dumps(body).encode()
    )
    assert isinstance(verdict, Failure)
    assert verdict.code == ErrorCode.MODERATED


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (400, b'{"error": "missing prompt"}'),
        (422, b"moderation, but not JSON"),
        (404, b'{"error": "moderation"}'),  # not a status moderation uses
        (405, b""),
        (413, b"[" * 50_000),  # hostile JSON nesting is just not JSON to us
    ],
)
def test_other_4xx_are_bad_requests(status: int, body: bytes) -> None:
    verdict = verdicts.classify_response(status, "application/json", None, body)
    assert verdict == Failure(ErrorCode.BAD_REQUEST, f"HTTP {status}")


@pytest.mark.parametrize("status", [101, 204, 301, 302, 304])
def test_non_image_statuses_outside_4xx_5xx_are_final(status: int) -> None:
    verdict = verdicts.classify_response(status, None, None, b"")
    assert isinstance(verdict, Failure)


@pytest.mark.parametrize(
    ("header", "wait"),
    [
        (None, None),
        ("0", 0.0),
        ("3", 3.0),
        (" 2.5 ", 2.5),
        ("60", 60.0),
        ("3600", 60.0),
        ("-1", None),
        ("nan", None),
        ("inf", None),
        ("Wed, 21 Oct 2015 07:28:00 GMT", None),
        ("soon", None),
    ],
)
def test_retry_after_seconds_form_capped(header: str | None, wait: float | None) -> None:
    assert verdicts.parse_retry_after(header) == wait


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (httpx.ReadTimeout("slow"), ErrorCode.TIMEOUT),
        (httpx.ConnectTimeout("slow"), ErrorCode.TIMEOUT),
        (httpx.PoolTimeout("busy"), ErrorCode.TIMEOUT),
        (httpx.ConnectError("refused"), ErrorCode.BACKEND_UNAVAILABLE),
        (httpx.RemoteProtocolError("closed"), ErrorCode.BACKEND_UNAVAILABLE),
        (httpx.ReadError("reset"), ErrorCode.BACKEND_UNAVAILABLE),
    ],
)
def test_transport_errors_are_retryable(error: httpx.RequestError, code: ErrorCode) -> None:
    verdict = verdicts.classify_error(error)
    assert verdict.code == code
    assert verdict.wait_hint is None
    assert type(error).__name__ in verdict.detail


def test_exhausted_keeps_the_code_and_counts_attempts() -> None:
    last = Retryable(ErrorCode.BACKEND_UNAVAILABLE, "HTTP 503")
    assert verdicts.exhausted(last, 4) == Failure(
        ErrorCode.BACKEND_UNAVAILABLE, "HTTP 503, 4 attempts"
    )


@pytest.mark.parametrize(("status", "label"), [(200, "2xx"), (404, "4xx"), (503, "5xx")])
def test_status_class(status: int, label: str) -> None:
    assert verdicts.status_class(status) == label


@given(
    status=st.integers(100, 599),
    content_type=st.none() | st.text(max_size=60),
    retry_after=st.none() | st.text(max_size=20),
    body=st.binary(max_size=200),
)
def test_every_answer_gets_a_verdict_with_a_short_detail(
    status: int, content_type: str | None, retry_after: str | None, body: bytes
) -> None:
    verdict = verdicts.classify_response(status, content_type, retry_after, body)
    if isinstance(verdict, Success):
        assert 200 <= status < 300
    else:
        assert 0 < len(verdict.detail) <= 100
    if isinstance(verdict, Retryable):
        assert status == 429 or status >= 500
        assert verdict.wait_hint is None or 0 <= verdict.wait_hint <= 60


@pytest.mark.parametrize(
    ("verdict", "down"),
    [
        (verdicts.classify_response(503, None, None, b""), True),
        (verdicts.Retryable(ErrorCode.TIMEOUT, "no answer in time"), True),
        (verdicts.classify_response(429, None, "1", b""), False),  # busy, but up
        (verdicts.classify_response(404, None, None, b""), False),
        (verdicts.classify_response(200, "text/html", None, b"<html>"), False),
        (verdicts.classify_response(200, "image/png", None, b"\x89PNG\r\n\x1a\n"), False),
    ],
)
def test_only_a_missing_answer_counts_against_the_circuit(
    verdict: verdicts.Verdict, down: bool
) -> None:
    assert verdicts.backend_down(verdict) is down
