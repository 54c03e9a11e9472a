"""Small, valid images built without Pillow, and a sniffing helper the Bot API stand-in uses.

Workers answer with `png(prompt)`: deterministic, so tests can compare hashes, and
optionally padded to an exact byte size (via a private ancillary chunk that decoders
skip) so benchmarks can measure memory with realistically large payloads.
"""

from __future__ import annotations

import hashlib
import struct
import zlib
from dataclasses import dataclass

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_END = b"\x00\x00\x00\x00IEND\xaeB`\x82"
# Lowercase/lowercase/UPPER/lowercase = ancillary, private, reserved bit clear, safe to copy.
_PAD_CHUNK = b"ezPd"
_CHUNK_OVERHEAD = 12  # length + type + crc


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def png(seed: str, *, width: int = 64, height: int = 64, size: int | None = None) -> bytes:
    """An RGB PNG whose colours derive from `seed`; exactly `size` bytes if given."""
    digest = hashlib.sha256(seed.encode()).digest()
    base, step = digest[:3], digest[3:6]
    rows = []
    for y in range(height):
        row = bytearray([0])  # filter type 0 per scanline
        for x in range(width):
            row += bytes((base[i] + step[i] * ((x + y) // 8)) % 256 for i in range(3))
        rows.append(bytes(row))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    head = PNG_SIGNATURE + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", zlib.compress(b"".join(rows)))
    natural = len(head) + len(_PNG_END)
    if size is None or size == natural:
        return head + _PNG_END
    if size < natural + _CHUNK_OVERHEAD:
        raise ValueError(f"a {width}x{height} PNG needs {natural} or ≥{natural + 12} bytes")
    padding = _chunk(_PAD_CHUNK, bytes(size - natural - _CHUNK_OVERHEAD))
    return head + padding + _PNG_END


def _tiny_jpeg() -> bytes:
    """A baseline 8x8 mid-grey JPEG: one block, DC diff 0 and an immediate end-of-block."""
    dqt = b"\xff\xdb" + struct.pack(">H", 67) + b"\x00" + bytes([1] * 64)
    sof = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, 8, 8, 1) + b"\x01\x11\x00"
    # One code of length 1 per table: DC symbol 0 (category 0) and AC symbol 0 (EOB).
    one_code = bytes([1] + [0] * 15) + b"\x00"
    dht = b"\xff\xc4" + struct.pack(">H", 2 + 2 * 17 + 2)
    dht += b"\x00" + one_code + b"\x10" + one_code
    sos = b"\xff\xda" + struct.pack(">HB", 8, 1) + b"\x01\x00" + b"\x00\x3f\x00"
    scan = b"\x3f"  # bits 0 (DC) 0 (EOB), padded with ones
    return b"\xff\xd8" + dqt + sof + dht + sos + scan + b"\xff\xd9"


TINY_JPEG: bytes = _tiny_jpeg()


@dataclass(frozen=True)
class ImageInfo:
    kind: str  # "png" | "jpeg" | "webp"
    width: int
    height: int


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        length = struct.unpack(">H", data[i + 2 : i + 4])[0]
        if marker in (0xC0, 0xC1, 0xC2):
            height, width = struct.unpack(">HH", data[i + 5 : i + 9])
            return width, height
        i += 2 + length
    return None


def sniff(data: bytes) -> ImageInfo | None:
    """What Telegram would accept as a photo: complete PNG/JPEG (or WebP), else None."""
    if data.startswith(PNG_SIGNATURE) and data[12:16] == b"IHDR" and data.endswith(_PNG_END):
        width, height = struct.unpack(">II", data[16:24])
        return ImageInfo("png", width, height)
    if data.startswith(b"\xff\xd8\xff") and data.endswith(b"\xff\xd9"):
        size = _jpeg_size(data)
        return ImageInfo("jpeg", *size) if size else None
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return ImageInfo("webp", 512, 512)  # dimensions not parsed; Telegram re-encodes anyway
    return None
