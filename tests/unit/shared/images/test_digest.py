"""The one reading of an Object Store digest, and of the generation time stored beside it."""

from __future__ import annotations

import base64
import hashlib

import pytest

from easel.images import sha256_of
from easel.images._writer import parse_seconds
from easel_devtools.standins import png

PNG = png("a cat")


def test_sha256_from_object_store_digest() -> None:
    digest = hashlib.sha256(PNG).digest()
    text = "SHA-256=" + base64.urlsafe_b64encode(digest).decode()
    assert sha256_of(text) == digest
    assert sha256_of(text.rstrip("=")) == digest  # padding is optional
    assert sha256_of("sha-256=" + text.partition("=")[2]) == digest
    assert sha256_of(None) is None
    assert sha256_of("SHA-256=***") is None
    assert sha256_of("SHA-256=" + base64.urlsafe_b64encode(b"short").decode()) is None
    assert sha256_of("MD5=" + base64.urlsafe_b64encode(digest).decode()) is None


@pytest.mark.parametrize(("text", "value"), [("1.5", 1.5), (None, 0.0), ("x", 0.0), ("nan", 0.0)])
def test_seconds_tolerates_garbage(text: str | None, value: float) -> None:
    assert parse_seconds(text) == value
