"""The openai_images kind's pure part: the request, the nearest allowed size, and the
verdict on OpenAI's answers and error bodies."""

from __future__ import annotations

import base64
import json

import pytest

from easel.events import ErrorCode
from easel.settings import ModelSpec
from easel_devtools.standins import png
from easel_generator import verdicts
from easel_generator.kinds import Render
from easel_generator.kinds.openai_images import answer, nearest_size, request_body

PNG = png("a fox")
DALL_E_3 = ("1024x1024", "1792x1024", "1024x1792")
SPEC = ModelSpec(
    name="dalle",
    display_name="DALL·E 3",
    backend="openai_images",
    url="https://api.openai.com/v1",
    upstream_model="dall-e-3",
    sizes=DALL_E_3,
    defaults={"quality": "hd"},
)


def error(code: str | None, message: str = "refused") -> bytes:
    """OpenAI's error body."""
    detail = {"message": message, "type": "invalid_request_error", "param": None, "code": code}
    return json.dumps({"error": detail}).encode()


@pytest.mark.parametrize(
    ("asked", "sent"),
    [
        ("1024x1024", "1024x1024"),
        ("1344x768", "1792x1024"),  # 16:9 → the wide one
        ("768x1344", "1024x1792"),
        ("512x512", "1024x1024"),  # square stays square, whatever the area
    ],
)
def test_a_size_goes_as_the_nearest_allowed(asked: str, sent: str) -> None:
    assert nearest_size(asked, DALL_E_3) == sent


def test_the_request_names_the_upstream_model_and_asks_for_base64() -> None:
    body = request_body(SPEC, Render("a fox", size="1344x768"))
    assert body == {
        "quality": "hd",
        "model": "dall-e-3",
        "prompt": "a fox",
        "n": 1,
        "response_format": "b64_json",
        "size": "1792x1024",
    }
    assert "size" not in request_body(SPEC, Render("a fox"))


def test_the_image_is_read_from_b64_json() -> None:
    body = {"created": 1, "data": [{"b64_json": base64.b64encode(PNG).decode()}]}
    got = answer(200, None, json.dumps(body).encode())
    assert got.verdict == verdicts.Success("image/png")
    assert got.image is not None
    assert bytes(got.image.data) == PNG


def test_a_refused_prompt_is_moderated() -> None:
    for code in ("content_policy_violation", "moderation_blocked"):
        got = answer(400, None, error(code))
        assert got.verdict == verdicts.Failure(ErrorCode.MODERATED, f"HTTP 400: {code}")


def test_other_errors_by_status_and_code() -> None:
    assert answer(401, None, error("invalid_api_key")).verdict == verdicts.Failure(
        ErrorCode.AUTH, "HTTP 401"
    )
    assert answer(400, None, error(None, "Invalid size")).verdict == verdicts.Failure(
        ErrorCode.BAD_REQUEST, "HTTP 400"
    )
    limited = answer(429, "7", error("rate_limit_exceeded")).verdict
    assert limited == verdicts.Retryable(ErrorCode.RATE_LIMITED, "HTTP 429", 7.0)
    broke = answer(429, None, error("insufficient_quota")).verdict
    assert broke == verdicts.Failure(ErrorCode.RATE_LIMITED, "HTTP 429: insufficient_quota")
    down = answer(503, None, b"upstream connect error").verdict
    assert down == verdicts.Retryable(ErrorCode.BACKEND_UNAVAILABLE, "HTTP 503")
