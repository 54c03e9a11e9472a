"""Images into the Object Store, in the format nats-py's `ObjectStore.get` reads.

Written here rather than with `ObjectStore.put`, because this write sits between the
backend's answer and the next job's dispatch (the capacity slot is freed by the ack):
`put` looks up an earlier version first and waits for each chunk's ack in turn, one round
trip per 128 KiB. Here the chunks go out back to back with a window of acks outstanding,
the lookup is only made for a redelivered job, and the image is sliced, never copied whole.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime

import nats.errors
from nats.js import JetStreamContext
from nats.js.api import Header, ObjectInfo, ObjectMetaOptions, PubAck
from nats.js.errors import ObjectNotFoundError
from nats.js.kv import MSG_ROLLUP_SUBJECT
from nats.js.object_store import (
    OBJ_CHUNKS_PRE_TEMPLATE,
    OBJ_DEFAULT_CHUNK_SIZE,
    OBJ_DIGEST_TEMPLATE,
    OBJ_META_PRE_TEMPLATE,
    OBJ_STREAM_TEMPLATE,
    ObjectStore,
)
from nats.nuid import NUID

# Chunk acks awaited at once: enough to keep the connection busy, while the client's
# write buffer holds at most this many chunks (1 MiB) beyond the image itself.
ACK_WINDOW = 8


@dataclass(frozen=True)
class Stored:
    size: int
    sha256: str  # hex


class ImageStore:
    def __init__(
        self, js: JetStreamContext, store: ObjectStore, bucket: str, timeout: float = 30.0
    ) -> None:
        self._js = js
        self._store = store
        self._bucket = bucket
        self._stream = OBJ_STREAM_TEMPLATE.format(bucket=self._bucket)
        self._nuid = NUID()
        self._timeout = timeout

    @property
    def bucket(self) -> str:
        return self._bucket

    async def info(self, name: str) -> ObjectInfo | None:
        try:
            return await self._store.get_info(name)
        except ObjectNotFoundError:
            return None

    async def put(
        self,
        name: str,
        data: bytes | memoryview,
        headers: dict[str, list[str]],
        replaces: ObjectInfo | None = None,
    ) -> Stored:
        """Store `data` as `name`; `replaces` is the earlier version, whose chunks go."""
        nuid = self._nuid.next().decode()
        chunks = OBJ_CHUNKS_PRE_TEMPLATE.format(bucket=self._bucket, obj=nuid)
        try:
            digest = await asyncio.wait_for(
                self._put_chunks(chunks, memoryview(data)), self._timeout
            )
            info = ObjectInfo(
                name=name,
                bucket=self._bucket,
                nuid=nuid,
                headers=headers,
                options=ObjectMetaOptions(max_chunk_size=OBJ_DEFAULT_CHUNK_SIZE),
                size=len(data),
                chunks=-(-len(data) // OBJ_DEFAULT_CHUNK_SIZE),
                mtime=datetime.now(UTC).isoformat(),
                digest=OBJ_DIGEST_TEMPLATE.format(
                    digest=base64.urlsafe_b64encode(digest.digest()).decode()
                ),
            )
            meta = OBJ_META_PRE_TEMPLATE.format(
                bucket=self._bucket,
                obj=base64.urlsafe_b64encode(name.encode()).decode(),
            )
            # The rollup keeps one meta message per name: the newest version wins.
            await self._js.publish(
                meta,
                json.dumps(info.as_dict()).encode(),
                headers={Header.ROLLUP: MSG_ROLLUP_SUBJECT},
            )
        except BaseException:
            with contextlib.suppress(nats.errors.Error, TimeoutError):
                await self._js.purge_stream(self._stream, subject=chunks)
            raise
        if replaces is not None and not replaces.deleted and replaces.nuid:
            old = OBJ_CHUNKS_PRE_TEMPLATE.format(bucket=self._bucket, obj=replaces.nuid)
            with contextlib.suppress(nats.errors.Error, TimeoutError):
                await self._js.purge_stream(self._stream, subject=old)
        return Stored(len(data), digest.hexdigest())

    async def _put_chunks(self, subject: str, view: memoryview) -> hashlib._Hash:
        digest = hashlib.sha256()
        window: list[asyncio.Future[PubAck]] = []
        try:
            for offset in range(0, len(view), OBJ_DEFAULT_CHUNK_SIZE):
                chunk = view[offset : offset + OBJ_DEFAULT_CHUNK_SIZE]
                digest.update(chunk)
                if len(window) == ACK_WINDOW:
                    await window.pop(0)
                # Published in call order, so the chunks are stored in order.
                window.append(await self._js.publish_async(subject, bytes(chunk)))
            for ack in window:
                await ack
        finally:
            for ack in window:
                ack.cancel()  # on failure: gives back the client's slot for it
        return digest
