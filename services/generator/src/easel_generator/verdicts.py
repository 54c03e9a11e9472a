"""Verdicts on one backend answer (pure, no I/O): an image, worth retrying, or a failure;
the image's type from its bytes, and Retry-After.

Everything here is about *one attempt*; the retry loop in `backends.py` applies the
verdicts, and `exhausted()` turns the last retryable one into the job's failure.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import httpx

from easel.events import ErrorCode
from easel.images import image_type

MAX_RETRY_AFTER_SECONDS = 60.0
_MODERATION = re.compile(r"moderat|safety|nsfw", re.IGNORECASE)
_MODERATION_STATUSES = frozenset({400, 422, 451})


@dataclass(frozen=True)
class Success:
    content_type: str  # from the bytes, not from what the backend claimed


@dataclass(frozen=True)
class Retryable:
    code: ErrorCode  # the job's error if no attempt is left
    detail: str
    wait_hint: float | None = None  # from Retry-After; None = the usual backoff


@dataclass(frozen=True)
class Failure:
    code: ErrorCode
    detail: str


Verdict = Success | Retryable | Failure
# A response body: bytes, or a view of the buffer an image was read into.
Body = bytes | memoryview


def classify_response(
    status: int, content_type: str | None, retry_after: str | None, body: Body
) -> Verdict:
    if 200 <= status < 300:
        return _image(content_type, body)
    if status == 429:
        return Retryable(ErrorCode.RATE_LIMITED, "HTTP 429", parse_retry_after(retry_after))
    if status >= 500:
        return Retryable(
            ErrorCode.BACKEND_UNAVAILABLE, f"HTTP {status}", parse_retry_after(retry_after)
        )
    if status in (401, 403):
        return Failure(ErrorCode.AUTH, f"HTTP {status}")
    if status in _MODERATION_STATUSES and _mentions_moderation(body):
        return Failure(ErrorCode.MODERATED, f"HTTP {status}: refused by the content filter")
    if 400 <= status < 500:
        return Failure(ErrorCode.BAD_REQUEST, f"HTTP {status}")
    # 1xx / 3xx: redirects are not followed, so the URL points at the wrong thing.
    return Failure(ErrorCode.BACKEND_UNAVAILABLE, f"unexpected HTTP {status}")


def classify_error(error: httpx.RequestError) -> Retryable:
    """Network trouble and timeouts are transient by nature."""
    kind = type(error).__name__
    if isinstance(error, httpx.TimeoutException):
        return Retryable(ErrorCode.TIMEOUT, f"no answer in time ({kind})")
    return Retryable(ErrorCode.BACKEND_UNAVAILABLE, f"network error ({kind})")


def too_large(limit: int) -> Failure:
    return Failure(ErrorCode.INVALID_IMAGE, f"image larger than {limit // (1 << 20)} MiB")


def backend_down(verdict: Verdict) -> bool:
    """What the circuit breaker counts as a failure: no real answer from the backend.
    A 429, a 4xx or a bad image still proves it is up."""
    down = (ErrorCode.BACKEND_UNAVAILABLE, ErrorCode.TIMEOUT)
    return isinstance(verdict, Retryable) and verdict.code in down


def exhausted(last: Retryable, attempts: int) -> Failure:
    """The job's failure once the retries are spent."""
    return Failure(last.code, f"{last.detail}, {attempts} attempts")


def parse_retry_after(value: str | None) -> float | None:
    """Retry-After in its seconds form, capped; the HTTP-date form falls back to backoff."""
    if value is None:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    if not 0 <= seconds < float("inf"):
        return None
    return min(seconds, MAX_RETRY_AFTER_SECONDS)


def status_class(status: int) -> str:
    return f"{status // 100}xx"


def _image(content_type: str | None, body: Body) -> Success | Failure:
    mime = (content_type or "").split(";")[0].strip().lower()
    if not mime.startswith("image/"):
        shown = re.sub(r"[^\w/.+-]", "", mime)[:40] or "none"
        return Failure(ErrorCode.INVALID_IMAGE, f"content-type {shown} is not an image")
    sniffed = image_type(body)
    if sniffed is None:
        return Failure(ErrorCode.INVALID_IMAGE, "body is not a PNG, JPEG, WebP or GIF image")
    return Success(sniffed)


def _mentions_moderation(body: Body) -> bool:
    try:
        parsed = json.loads(bytes(body))  # an error body, small
    except (ValueError, RecursionError):
        return False
    return bool(_MODERATION.search(json.dumps(parsed, ensure_ascii=False)))
