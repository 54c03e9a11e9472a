"""The generator's pipelined Object Store writes read back with nats-py's own reader."""

from __future__ import annotations

import hashlib
import io

import pytest
from nats.js import JetStreamContext
from nats.js.object_store import OBJ_DEFAULT_CHUNK_SIZE, OBJ_STREAM_TEMPLATE, ObjectStore

from easel import bus
from easel_generator.settings import Settings
from easel_generator.store import ImageStore

CHUNK = OBJ_DEFAULT_CHUNK_SIZE
STREAM = OBJ_STREAM_TEMPLATE.format(bucket=bus.IMAGES_BUCKET)


async def _stores(js: JetStreamContext) -> tuple[ObjectStore, ImageStore]:
    store = await bus.images_store(js, Settings())
    return store, ImageStore(js, store, bus.IMAGES_BUCKET)


def _data(size: int) -> bytes:
    return bytes(i * 7 % 251 for i in range(size))


@pytest.mark.parametrize(
    "size",
    [1, CHUNK - 1, CHUNK, CHUNK + 1, CHUNK * 11 + 17],
    ids=["one byte", "under a chunk", "one chunk", "chunk and a byte", "many chunks"],
)
async def test_what_is_put_reads_back_whole_with_nats_py(js: JetStreamContext, size: int) -> None:
    store, images = await _stores(js)
    data = bytearray(_data(size))
    stored = await images.put("tg_1_1", data, {"Content-Type": ["image/png"]})
    assert stored.size == size
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    out = io.BytesIO()
    result = await store.get("tg_1_1", writeinto=out)  # verifies the digest itself
    assert out.getvalue() == data
    assert result.info.size == size
    assert result.info.chunks == -(-size // CHUNK)
    assert result.info.headers == {"Content-Type": ["image/png"]}


async def test_a_new_version_replaces_the_old_and_its_chunks_go(js: JetStreamContext) -> None:
    store, images = await _stores(js)
    await images.put("tg_1_2", _data(CHUNK * 3), {})
    earlier = await images.info("tg_1_2")
    assert earlier is not None
    await images.put("tg_1_2", b"\x89PNG second", {}, replaces=earlier)
    out = io.BytesIO()
    await store.get("tg_1_2", writeinto=out)
    assert out.getvalue() == b"\x89PNG second"
    info = await js.stream_info(STREAM, subjects_filter=f"$O.{bus.IMAGES_BUCKET}.C.>")
    assert info.state.subjects is not None
    assert sum(info.state.subjects.values()) == 1  # only the new version's one chunk


async def test_a_missing_object_has_no_info(js: JetStreamContext) -> None:
    _, images = await _stores(js)
    assert await images.info("tg_1_3") is None
