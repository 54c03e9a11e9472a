"""The JetStream edges the handler needs: the generated images and the delivery ledger."""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import hashlib
import mmap
import uuid
from datetime import UTC, datetime

import nats.errors
import stamina
import structlog
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, ObjectInfo
from nats.js.errors import (
    KeyNotFoundError,
    KeyWrongLastSequenceError,
    NotFoundError,
    ObjectNotFoundError,
)
from nats.js.kv import KeyValue
from nats.js.object_store import OBJ_CHUNKS_PRE_TEMPLATE, OBJ_STREAM_TEMPLATE, ObjectStore

from easel import bus
from easel.events import StoredImage

log = structlog.get_logger("easel.notifier")

_TRANSIENT = (nats.errors.TimeoutError, nats.errors.NoRespondersError)

# Chunks asked for per pull request: what a read holds beyond the image itself.
_PULL_BYTES = 512 * 1024
# A reader that died mid-read leaves its consumer behind this long at most.
_READER_IDLE_SECONDS = 10.0
_DIGEST_PREFIX = "sha-256="


class ImageCorrupt(Exception):
    """The stored bytes do not match the event's sha256: retrying cannot help."""


class _Gone(Exception):
    """The object's chunks are (partly) gone: its TTL expired under it."""


class Images:
    """The Object Store the generator puts into; the notifier reads once and deletes."""

    def __init__(
        self,
        js: JetStreamContext,
        store: ObjectStore,
        bucket: str = bus.IMAGES_BUCKET,
        timeout: float = 30.0,
    ) -> None:
        self._js = js
        self._store = store
        self._stream = OBJ_STREAM_TEMPLATE.format(bucket=bucket)
        self._bucket = bucket
        self._timeout = timeout

    async def fetch(self, image: StoredImage) -> memoryview | None:
        """The image's bytes, or None when it is gone (its TTL expired, or deleted).

        The bytes live in an anonymous memory mapping, unmapped once the view is dropped.
        Not a heap block: freed, it can stay resident as a hole the next image does not
        fit (a small object landed in it), and the RSS then grows by an image.
        """
        try:
            info = await self._store.get_info(image.object_name)
        except ObjectNotFoundError:
            return None
        # Checked before allocating: the stored size decides the buffer's.
        if not info.nuid:
            raise ImageCorrupt("object has no chunks' nuid")
        if info.size != image.size:
            raise ImageCorrupt(f"stored size {info.size} differs from the event's {image.size}")
        expected = _digest(info)
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
            msg = await self._js.get_last_msg(self._stream, self._chunks(info))
        except NotFoundError:
            raise _Gone from None
        data = msg.data or b""
        if len(data) != size:
            raise ImageCorrupt("the stored chunk's size differs from the object's")
        return memoryview(data), hashlib.sha256(data).digest()

    async def _read(self, info: ObjectInfo, size: int) -> tuple[memoryview, bytes]:
        """The object's chunks, pulled a few at a time into one preallocated buffer.

        Not `ObjectStore.get`: its ordered push consumer has the server send every chunk
        at once, so a whole second copy of the image waits in the subscription's queue
        while the first is assembled (and a BytesIO's `getvalue` makes a third).
        """
        chunks = info.chunks or 0
        name = f"notifier-read-{uuid.uuid4().hex}"
        config = ConsumerConfig(
            name=name,
            filter_subject=self._chunks(info),
            deliver_policy=DeliverPolicy.ALL,
            ack_policy=AckPolicy.NONE,
            inactive_threshold=_READER_IDLE_SECONDS,
            mem_storage=True,
        )
        try:
            created = await self._js.add_consumer(self._stream, config)
        except BaseException:
            await self._delete_consumer(name)  # it may exist though the reply was lost
            raise
        sub = None
        try:
            # Chunks expire before the metadata written after them: fewer than listed
            # means the TTL is taking the object (waiting for them would only time out).
            if (created.num_pending or 0) < chunks:
                raise _Gone
            if (created.num_pending or 0) > chunks:
                raise ImageCorrupt("more chunks stored than the object lists")
            sub = await self._js.pull_subscribe_bind(consumer=name, stream=self._stream)
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
            await self._delete_consumer(name)

    def _chunks(self, info: ObjectInfo) -> str:
        return OBJ_CHUNKS_PRE_TEMPLATE.format(bucket=self._bucket, obj=info.nuid)

    async def _delete_consumer(self, name: str) -> None:
        """Best effort: a consumer left behind goes after `_READER_IDLE_SECONDS`."""
        try:
            await self._js.delete_consumer(self._stream, name)
        except NotFoundError:
            pass
        except (nats.errors.Error, TimeoutError) as error:
            log.warning("notifier.reader_cleanup_failed", error=repr(error))

    async def discard(self, image: StoredImage) -> None:
        """Delete after delivery; failing is harmless, the bucket's TTL cleans up."""
        try:
            await self._store.delete(image.object_name)
        except ObjectNotFoundError:
            pass
        except (nats.errors.Error, TimeoutError) as error:
            log.warning("notifier.image_delete_failed", error=repr(error))


def _digest(info: ObjectInfo) -> bytes:
    """ObjectInfo.digest, "SHA-256=<urlsafe base64>", as raw bytes."""
    text = info.digest or ""
    if not text.lower().startswith(_DIGEST_PREFIX):
        raise ImageCorrupt(f"object digest {text!r} is not SHA-256")
    encoded = text[len(_DIGEST_PREFIX) :]
    try:
        return base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
    except (binascii.Error, ValueError) as error:
        raise ImageCorrupt(f"object digest {text!r} does not decode") from error


class Ledger:
    """KV `easel_deliveries`: one key per job whose photo Telegram has accepted."""

    def __init__(self, kv: KeyValue) -> None:
        self._kv = kv

    async def delivered(self, job_id: str) -> bool:
        try:
            await self._kv.get(job_id)
        except KeyNotFoundError:  # also raised for a deleted key
            return False
        return True

    # Written right after Telegram accepted the photo: worth a few tries before giving up.
    @stamina.retry(on=_TRANSIENT, attempts=5, wait_initial=0.2, wait_max=2.0, timeout=15.0)
    async def record(self, job_id: str) -> bool:
        """Record a delivery; False if it was recorded already (another replica won)."""
        try:
            await self._kv.create(job_id, datetime.now(UTC).isoformat().encode())
        except KeyWrongLastSequenceError:
            return False
        return True
