"""ImageWriter against a real nats-server: what it puts reads back with nats-py's own
reader, a new version replaces the old, and an earlier delivery's image is found."""

from __future__ import annotations

import hashlib
import io

import pytest
from nats.js import JetStreamContext
from nats.js.object_store import OBJ_DEFAULT_CHUNK_SIZE, OBJ_STREAM_TEMPLATE, ObjectStore

from easel import bus
from easel.images import ImageWriter

CHUNK = OBJ_DEFAULT_CHUNK_SIZE
STREAM = OBJ_STREAM_TEMPLATE.format(bucket=bus.IMAGES_BUCKET)


def _data(size: int) -> bytes:
    return bytes(i * 7 % 251 for i in range(size))


@pytest.mark.parametrize(
    "size",
    [1, CHUNK - 1, CHUNK, CHUNK + 1, CHUNK * 11 + 17],
    ids=["one byte", "under a chunk", "one chunk", "chunk and a byte", "many chunks"],
)
async def test_what_is_put_reads_back_whole_with_nats_py(
    store: ObjectStore, writer: ImageWriter, size: int
) -> None:
    data = bytearray(_data(size))
    stored = await writer.put("tg_1_1", memoryview(data), "image/png", 1.5)
    assert stored.size == size
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert (stored.bucket, stored.object_name, stored.content_type) == (
        bus.IMAGES_BUCKET,
        "tg_1_1",
        "image/png",
    )
    out = io.BytesIO()
    result = await store.get("tg_1_1", writeinto=out)  # verifies the digest itself
    assert out.getvalue() == data
    assert result.info.size == size
    assert result.info.chunks == -(-size // CHUNK)
    assert result.info.headers == {
        "Content-Type": ["image/png"],
        "Easel-Generation-Seconds": ["1.500"],
    }


async def test_a_new_version_replaces_the_old_and_its_chunks_go(
    js: JetStreamContext, store: ObjectStore, writer: ImageWriter
) -> None:
    await writer.put("tg_1_2", _data(CHUNK * 3), "image/png", 1.0)
    await writer.put("tg_1_2", b"\x89PNG second", "image/png", 2.0)
    out = io.BytesIO()
    await store.get("tg_1_2", writeinto=out)
    assert out.getvalue() == b"\x89PNG second"
    info = await js.stream_info(STREAM, subjects_filter=f"$O.{bus.IMAGES_BUCKET}.C.>")
    assert info.state.subjects is not None
    assert sum(info.state.subjects.values()) == 1  # only the new version's one chunk


async def test_an_earlier_deliverys_image_is_found_whole(writer: ImageWriter) -> None:
    stored = await writer.put("tg_1_3", _data(CHUNK + 5), "image/webp", 2.25)
    found = await writer.find("tg_1_3")
    assert found is not None
    assert found.image == stored
    assert found.generation_seconds == 2.25


async def test_a_missing_object_is_not_found(writer: ImageWriter) -> None:
    assert await writer.find("tg_1_4") is None


async def test_an_object_easel_did_not_describe_is_not_taken_for_an_image(
    store: ObjectStore, writer: ImageWriter
) -> None:
    await store.put("tg_1_5", b"no content type")  # nats-py's own put, no Easel headers
    assert await writer.find("tg_1_5") is None
