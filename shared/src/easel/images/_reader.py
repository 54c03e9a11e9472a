"""Images out of the Object Store, read once into one buffer, checked, then deleted.

Not nats-py's `ObjectStore.get`: in nats-py 2.16 it appends every chunk to a bytes object
(`result.data += msg.data`), quadratic in the image's size, and its ordered push consumer
has the server send every chunk at once. This reader pulls about 512 KiB of chunks at a
time into one buffer of the object's size.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import mmap
import uuid

import nats.errors
import structlog
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, ObjectInfo
from nats.js.errors import NotFoundError
from nats.js.object_store import OBJ_CHUNKS_PRE_TEMPLATE, OBJ_STREAM_TEMPLATE, ObjectStore

from easel.events import StoredImage
from easel.images._digest import sha256_of
from easel.images._writer import stored_image

log = structlog.get_logger("easel.images")

# Chunks asked for per pull request: what a read holds beyond the image itself.
_PULL_BYTES = 512 * 1024
# A reader that died mid-read leaves its consumer behind this long at most.
_READER_IDLE_SECONDS = 10.0


class ImageCorrupt(Exception):
    """The stored bytes do not match the event's sha256: retrying cannot help."""


class _Gone(Exception):
    """The object's chunks are (partly) gone: its TTL expired under it."""


class ImageReader:
    """Reads an image from the bucket its event names, and deletes it once delivered."""

    def __init__(self, js: JetStreamContext, timeout: float = 30.0) -> None:
        self._js = js
        self._timeout = timeout
        self._stores: dict[str, ObjectStore] = {}

    async def fetch(self, image: StoredImage) -> memoryview | None:
        """The image's bytes, or None when it is gone (its TTL expired, or deleted).

        The bytes live in an anonymous memory mapping, unmapped once the view is dropped.
        Not a heap block: freed, it can stay resident as a hole the next image does not
        fit (a small object landed in it), and the RSS then grows by an image.
        """
        try:
            info = await (await self._store(image.bucket)).get_info(image.object_name)
        except NotFoundError:  # the object, or its whole bucket
            return None
        info.bucket = image.bucket  # where it was found, whatever its metadata says
        # Checked before allocating: the stored size decides the buffer's.
        if not info.nuid:
            raise ImageCorrupt("object has no chunks' nuid")
        if info.size != image.size:
            raise ImageCorrupt(f"stored size {info.size} differs from the event's {image.size}")
        expected = sha256_of(info.digest)
        if expected is None:
            raise ImageCorrupt(f"object digest {info.digest!r} is not a SHA-256")
        try:
            # Bounded: chunks that vanish mid-read would otherwise be waited for forever.
            async with asyncio.timeout(self._timeout):
                read = self._read_one if info.chunks == 1 else self._read
                data, digest = await read(info, image.size)
        except _Gone:
            return None
        if digest != expected:
            raise ImageCorrupt("object store digest mismatch")
        if digest.hex() != image.sha256:
            raise ImageCorrupt("sha256 differs from the event's")
        return data

    async def _read_one(self, info: ObjectInfo, size: int) -> tuple[memoryview, bytes]:
        """A one-chunk object (up to 128 KiB) in one request, without a consumer: the
        common small image's fetch is one round trip instead of four."""
        try:
            msg = await self._js.get_last_msg(_stream(info), _chunks(info))
        except NotFoundError:
            raise _Gone from None
        data = msg.data or b""
        if len(data) != size:
            raise ImageCorrupt("the stored chunk's size differs from the object's")
        return memoryview(data), hashlib.sha256(data).digest()

    async def _read(self, info: ObjectInfo, size: int) -> tuple[memoryview, bytes]:
        """The object's chunks, pulled a few at a time into one preallocated buffer."""
        chunks = info.chunks or 0
        name = f"image-read-{uuid.uuid4().hex}"
        config = ConsumerConfig(
            name=name,
            filter_subject=_chunks(info),
            deliver_policy=DeliverPolicy.ALL,
            ack_policy=AckPolicy.NONE,
            inactive_threshold=_READER_IDLE_SECONDS,
            mem_storage=True,
        )
        try:
            created = await self._js.add_consumer(_stream(info), config)
        except BaseException:
            await self._delete_consumer(info, name)  # it may exist though the reply was lost
            raise
        sub = None
        try:
            # Chunks expire before the metadata written after them: fewer than listed
            # means the TTL is taking the object (waiting for them would only time out).
            if (created.num_pending or 0) < chunks:
                raise _Gone
            if (created.num_pending or 0) > chunks:
                raise ImageCorrupt("more chunks stored than the object lists")
            sub = await self._js.pull_subscribe_bind(consumer=name, stream=_stream(info))
            view = memoryview(mmap.mmap(-1, size))  # size ≥ 1: the event's, validated
            digest = hashlib.sha256()
            batch = max(1, _PULL_BYTES // -(-size // max(chunks, 1)))
            filled = received = 0
            while received < chunks:
                for msg in await sub.fetch(min(batch, chunks - received), timeout=self._timeout):
                    end = filled + len(msg.data)
                    if end > size:
                        raise ImageCorrupt("more bytes stored than the object's size")
                    view[filled:end] = msg.data
                    digest.update(msg.data)
                    filled, received = end, received + 1
            if filled != size:
                raise ImageCorrupt("fewer bytes stored than the object's size")
            return view, digest.digest()
        finally:
            if sub is not None:
                with contextlib.suppress(nats.errors.Error):
                    await sub.unsubscribe()
            await self._delete_consumer(info, name)

    async def _delete_consumer(self, info: ObjectInfo, name: str) -> None:
        """Best effort: a consumer left behind goes after `_READER_IDLE_SECONDS`."""
        try:
            await self._js.delete_consumer(_stream(info), name)
        except NotFoundError:
            pass
        except (nats.errors.Error, TimeoutError) as error:
            log.warning("images.reader_cleanup_failed", error=repr(error))

    async def find(self, bucket: str, name: str) -> StoredImage | None:
        """The stored image named `name`, described as an event would; None if gone."""
        try:
            info = await (await self._store(bucket)).get_info(name)
        except NotFoundError:
            return None
        info.bucket = bucket
        return stored_image(name, info)

    async def discard(self, image: StoredImage) -> None:
        """Delete after delivery; failing is harmless, the bucket's TTL cleans up."""
        try:
            await (await self._store(image.bucket)).delete(image.object_name)
        except NotFoundError:
            pass
        except (nats.errors.Error, TimeoutError) as error:
            log.warning("images.delete_failed", error=repr(error))

    async def _store(self, bucket: str) -> ObjectStore:
        if bucket not in self._stores:
            self._stores[bucket] = await self._js.object_store(bucket)
        return self._stores[bucket]


def _stream(info: ObjectInfo) -> str:
    return OBJ_STREAM_TEMPLATE.format(bucket=info.bucket)


def _chunks(info: ObjectInfo) -> str:
    return OBJ_CHUNKS_PRE_TEMPLATE.format(bucket=info.bucket, obj=info.nuid)
