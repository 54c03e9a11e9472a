"""What kind of image some bytes are, by their magic bytes: never by a name or a header."""

from __future__ import annotations

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


def image_type(body: bytes | memoryview) -> str | None:
    """The MIME type the magic bytes prove (PNG, JPEG, WebP, GIF), else None."""
    head = bytes(body[:12])
    for magic, mime in _MAGIC:
        if head.startswith(magic):
            return mime
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None
