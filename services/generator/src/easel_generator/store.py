"""Images into the Object Store, in the format nats-py's `ObjectStore.get` reads.

Written here rather than with `ObjectStore.put`, because this write sits between the
backend's answer and the ack that frees the model's slot: `put` first looks up an earlier
version (a round trip on every job; here only a redelivered job does), and it copies the
image into a reader; here chunks are sliced from the one buffer the answer was read into.
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
from nats.js.api import Header, ObjectInfo, ObjectMetaOptions
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
        if replaces is not None and replaces.nuid:
            old = OBJ_CHUNKS_PRE_TEMPLATE.format(bucket=self._bucket, obj=replaces.nuid)
            with contextlib.suppress(nats.errors.Error, TimeoutError):
                await self._js.purge_stream(self._stream, subject=old)
        return Stored(len(data), digest.hexdigest())

    async def _put_chunks(self, subject: str, view: memoryview) -> hashlib._Hash:
        digest = hashlib.sha256()
        for offset in range(0, len(view), OBJ_DEFAULT_CHUNK_SIZE):
            chunk = view[offset : offset + OBJ_DEFAULT_CHUNK_SIZE]
            digest.update(chunk)
            # One at a time, each acked: in stream order, and a refusal (the bucket full,
            # say) raises here. nats-py's publish_async loses such a refusal in its reply
            # callback, so its future never completes.
            await self._js.publish(subject, bytes(chunk))
        return digest
