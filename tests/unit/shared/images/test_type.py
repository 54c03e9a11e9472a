"""An image's type is read from its magic bytes."""

from __future__ import annotations

from easel.images import image_type
from easel_devtools.standins import TINY_JPEG, png

WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + bytes(24)


def test_image_type_by_magic_bytes() -> None:
    assert image_type(png("a cat")) == "image/png"
    assert image_type(TINY_JPEG) == "image/jpeg"
    assert image_type(WEBP) == "image/webp"
    assert image_type(b"RIFF\x00\x00\x00\x00WAVEfmt ") is None
    assert image_type(b"") is None
