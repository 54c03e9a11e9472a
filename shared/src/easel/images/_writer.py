"""Images into the Object Store, with nats-py's `ObjectStore.put`.

An image is stored under its job id with its content type and generation time, so a
redelivered job whose image is already stored is announced again without rendering it
twice (`find`).
"""

from __future__ import annotations

import asyncio
import io
from dataclasses import dataclass

from nats.js.api import ObjectInfo, ObjectMeta
from nats.js.errors import ObjectNotFoundError
from nats.js.object_store import ObjectStore
from typing_extensions import Buffer

from easel.events import StoredImage
from easel.images._digest import sha256_of

_CONTENT_TYPE = "Content-Type"
_GENERATION_SECONDS = "Easel-Generation-Seconds"


@dataclass(frozen=True)
class Found:
    """An image an earlier delivery of the same job stored whole."""

    image: StoredImage
    generation_seconds: float


class ImageWriter:
    def __init__(self, store: ObjectStore, timeout: float = 30.0) -> None:
        self._store = store
        self._timeout = timeout

    async def find(self, name: str) -> Found | None:
        try:
            info = await self._store.get_info(name)
        except ObjectNotFoundError:
            return None
        image = stored_image(name, info)
        if image is None:
            return None
        return Found(image, parse_seconds(_first(info, _GENERATION_SECONDS)))

    async def put(
        self, name: str, data: bytes | memoryview, content_type: str, generation_seconds: float
    ) -> StoredImage:
        """Store `data` as `name`, replacing an earlier version. A write cut short leaves
        chunks no object lists; the bucket's TTL removes them."""
        meta = ObjectMeta(
            name=name,
            headers={
                _CONTENT_TYPE: [content_type],
                _GENERATION_SECONDS: [f"{generation_seconds:.3f}"],
            },
        )
        info = await asyncio.wait_for(self._store.put(name, _Reader(data), meta), self._timeout)
        image = stored_image(name, info)
        if image is None:  # put wrote the digest itself: this would be a bug in nats-py
            raise RuntimeError(f"the object store did not describe {name} whole")
        return image


class _Reader(io.BufferedIOBase):
    """The image's buffer as the reader `put` takes, so it is not copied whole first.

    (`put` copies `bytes` into a BytesIO, and refuses a memoryview.)"""

    def __init__(self, data: bytes | memoryview) -> None:
        super().__init__()
        self._view = memoryview(data)
        self._offset = 0

    def readinto(self, buffer: Buffer) -> int:
        target = memoryview(buffer).cast("B")
        chunk = self._view[self._offset : self._offset + len(target)]
        target[: len(chunk)] = chunk
        self._offset += len(chunk)
        return len(chunk)


def stored_image(name: str, info: ObjectInfo) -> StoredImage | None:
    digest = sha256_of(info.digest)
    content_type = _first(info, _CONTENT_TYPE)
    if not (digest and content_type and info.size and info.bucket):
        return None
    return StoredImage(
        bucket=info.bucket,
        object_name=name,
        size=info.size,
        content_type=content_type,
        sha256=digest.hex(),
    )


def _first(info: ObjectInfo, header: str) -> str | None:
    values = (info.headers or {}).get(header)
    if isinstance(values, list) and values and isinstance(values[0], str):
        return values[0]
    return None


def parse_seconds(text: str | None) -> float:
    """A duration we wrote down earlier; 0 when it is missing or garbled."""
    try:
        value = float(text or 0)
    except ValueError:
        return 0.0
    return value if 0 <= value < float("inf") else 0.0
