"""ImageReader against a real nats-server: chunks pulled a few at a time into one buffer,
from the bucket the event names."""

from __future__ import annotations

import base64
import hashlib
import json
import os
from typing import Any

import pytest
from nats.js import JetStreamContext
from nats.js.object_store import ObjectStore

from easel import bus
from easel.events import StoredImage
from easel.images import ImageCorrupt, ImageReader, ImageWriter

CHUNK = 128 * 1024  # nats-py's default chunk size, what the generator's puts use
STREAM = f"OBJ_{bus.IMAGES_BUCKET}"


async def consumers(js: JetStreamContext) -> int:
    return (await js.stream_info(STREAM)).state.consumer_count


@pytest.mark.parametrize(
    "size",
    [1, CHUNK - 1, CHUNK, CHUNK + 1, 40 * CHUNK + 777],
    ids=["one-byte", "under-a-chunk", "one-chunk", "chunk-and-a-byte", "many-chunks"],
)
async def test_fetch_returns_the_stored_bytes(
    js: JetStreamContext, reader: ImageReader, size: int, store_image: Any
) -> None:
    data = os.urandom(size)
    image = await store_image(f"img_{size}.png", data)

    fetched = await reader.fetch(image)

    assert fetched is not None
    assert len(fetched) == size
    assert fetched == data
    assert await consumers(js) == 0  # the reader's consumer was deleted


async def test_fetch_of_a_missing_or_deleted_object_is_none(
    js: JetStreamContext, store: ObjectStore, reader: ImageReader, store_image: Any
) -> None:
    image = await store_image("img_deleted.png", b"\x89PNG deleted")
    missing = image.model_copy(update={"object_name": "img_never_stored.png"})
    await store.delete(image.object_name)

    assert await reader.fetch(missing) is None
    assert await reader.fetch(image) is None
    assert await consumers(js) == 0


@pytest.mark.parametrize("size", [CHUNK // 2, 3 * CHUNK], ids=["one-chunk", "many-chunks"])
async def test_fetch_when_the_chunks_expired_before_the_metadata_is_none(
    js: JetStreamContext, store: ObjectStore, reader: ImageReader, size: int, store_image: Any
) -> None:
    # Chunks are stored before their metadata, so max_age takes them first.
    image = await store_image("img_expiring.png", os.urandom(size))
    info = await store.get_info(image.object_name)
    await js.purge_stream(STREAM, subject=f"$O.{bus.IMAGES_BUCKET}.C.{info.nuid}")

    assert await reader.fetch(image) is None
    assert await consumers(js) == 0


async def test_a_sha256_other_than_the_events_is_corrupt(
    js: JetStreamContext, reader: ImageReader, store_image: Any
) -> None:
    image = await store_image("img_tampered.png", os.urandom(2 * CHUNK + 5))
    tampered = image.model_copy(update={"sha256": hashlib.sha256(b"something else").hexdigest()})

    with pytest.raises(ImageCorrupt, match="event"):
        await reader.fetch(tampered)
    assert await consumers(js) == 0


async def test_a_size_other_than_the_events_is_corrupt(
    js: JetStreamContext, reader: ImageReader, store_image: Any
) -> None:
    image = await store_image("img_resized.png", os.urandom(CHUNK))
    resized = image.model_copy(update={"size": CHUNK * 1000})

    with pytest.raises(ImageCorrupt, match="size"):
        await reader.fetch(resized)
    assert await consumers(js) == 0


@pytest.mark.parametrize("size", [10, CHUNK + 10], ids=["one-chunk", "many-chunks"])
async def test_bytes_other_than_the_objects_digest_are_corrupt(
    js: JetStreamContext, store: ObjectStore, reader: ImageReader, size: int, store_image: Any
) -> None:
    image = await store_image("img_bad_digest.png", os.urandom(size))
    await rewrite_meta(js, image, digest=hashlib.sha256(b"other bytes").digest())

    with pytest.raises(ImageCorrupt, match="digest"):
        await reader.fetch(image)
    assert await consumers(js) == 0


async def rewrite_meta(js: JetStreamContext, image: StoredImage, *, digest: bytes) -> None:
    """Publish a new metadata message for the object, as a tampering writer would."""
    name = base64.urlsafe_b64encode(image.object_name.encode()).decode()
    subject = f"$O.{bus.IMAGES_BUCKET}.M.{name}"
    meta = json.loads((await js.get_last_msg(STREAM, subject)).data)
    meta["digest"] = "SHA-256=" + base64.urlsafe_b64encode(digest).decode()
    await js.publish(subject, json.dumps(meta).encode(), stream=STREAM)


async def test_an_image_is_read_from_the_bucket_its_event_names(
    js: JetStreamContext, reader: ImageReader
) -> None:
    other = await js.create_object_store("easel_images_elsewhere")
    image = await ImageWriter(other).put("img_elsewhere.png", b"\x89PNG elsewhere", "image/png", 0)
    assert image.bucket == "easel_images_elsewhere"

    assert await reader.fetch(image) == b"\x89PNG elsewhere"
    assert await reader.fetch(image.model_copy(update={"bucket": "easel_no_such_bucket"})) is None
