"""Errors as OpenAI reports them, `{"error": {"message", "type", "param", "code"}}`, with
the status a client of OpenAI's API expects. Pure."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from easel.events import ErrorCode


@dataclass
class ApiError(Exception):
    status: int
    message: str
    type: str = "invalid_request_error"
    param: str | None = None
    code: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def body(self) -> dict[str, object]:
        return {
            "error": {
                "message": self.message,
                "type": self.type,
                "param": self.param,
                "code": self.code,
            }
        }


def bad_request(message: str, param: str | None = None, code: str | None = None) -> ApiError:
    return ApiError(400, message, param=param, code=code)


def unauthorized() -> ApiError:
    return ApiError(
        401,
        "Incorrect API key provided. Send it as `Authorization: Bearer <key>`.",
        code="invalid_api_key",
    )


def too_many(message: str, retry_after: float) -> ApiError:
    seconds = max(1, math.ceil(retry_after))  # never sooner than the limit allows
    return ApiError(
        429,
        message,
        type="requests",
        code="rate_limit_exceeded",
        headers={"Retry-After": str(seconds)},
    )


def moderated() -> ApiError:
    return ApiError(
        400,
        "Your request was rejected as a result of our safety system.",
        code="content_policy_violation",
    )


# Easel's failure codes as the HTTP status of a gateway to an upstream that failed.
_FAILED: dict[ErrorCode, tuple[int, str]] = {
    ErrorCode.TIMEOUT: (504, "The image model did not answer in time."),
    ErrorCode.EXPIRED: (504, "The request waited past its deadline."),
    ErrorCode.BACKEND_UNAVAILABLE: (503, "The image model is unavailable; try again later."),
    ErrorCode.RATE_LIMITED: (503, "The image model is busy; try again later."),
    ErrorCode.AUTH: (502, "The image model refused Easel's credentials."),
    ErrorCode.BAD_REQUEST: (502, "The image model rejected the request."),
    ErrorCode.INVALID_IMAGE: (502, "The image model returned no usable image."),
    ErrorCode.UNKNOWN_MODEL: (502, "The model is not configured."),
    ErrorCode.INTERNAL: (502, "Easel failed to make the image."),
}


def failed(code: ErrorCode) -> ApiError:
    if code is ErrorCode.MODERATED:
        return moderated()
    status, message = _FAILED.get(code, (502, "Easel failed to make the image."))
    return ApiError(status, message, type="server_error", code=code.value)
