"""The JetStream edges the handler needs: the generated images and the delivery ledger."""

from __future__ import annotations

import asyncio
import hashlib
import io
from datetime import UTC, datetime

import nats.errors
import stamina
import structlog
from nats.js.errors import KeyNotFoundError, KeyWrongLastSequenceError, ObjectNotFoundError
from nats.js.kv import KeyValue
from nats.js.object_store import ObjectStore

from easel.events import StoredImage

log = structlog.get_logger("easel.notifier")

_TRANSIENT = (nats.errors.TimeoutError, nats.errors.NoRespondersError)


class ImageCorrupt(Exception):
    """The stored bytes do not match the event's sha256: retrying cannot help."""


class Images:
    """The Object Store the generator puts into; the notifier reads once and deletes."""

    def __init__(self, store: ObjectStore, timeout: float = 30.0) -> None:
        self._store = store
        self._timeout = timeout

    async def fetch(self, image: StoredImage) -> bytes | None:
        """The image's bytes, or None when it is gone (its TTL expired)."""
        try:
            # Bounded: nats-py waits for chunks forever if they vanish mid-read. Into a
            # buffer: without one, nats-py concatenates bytes chunk by chunk (two copies
            # of the image at the end, quadratic copying on the way).
            buffer = io.BytesIO()
            await asyncio.wait_for(
                self._store.get(image.object_name, writeinto=buffer), self._timeout
            )
        except ObjectNotFoundError:
            return None
        except nats.js.errors.DigestMismatchError as error:
            raise ImageCorrupt("object store digest mismatch") from error
        data = buffer.getvalue()
        if hashlib.sha256(data).hexdigest() != image.sha256:
            raise ImageCorrupt("sha256 differs from the event's")
        return data

    async def discard(self, image: StoredImage) -> None:
        """Delete after delivery; failing is harmless, the bucket's TTL cleans up."""
        try:
            await self._store.delete(image.object_name)
        except ObjectNotFoundError:
            pass
        except (nats.errors.Error, TimeoutError) as error:
            log.warning("notifier.image_delete_failed", error=repr(error))


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
