"""The images bucket as provisioned, its writer and its reader."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from nats.js import JetStreamContext
from nats.js.object_store import ObjectStore

from easel import bus
from easel.events import StoredImage
from easel.images import ImageReader, ImageWriter
from easel.settings import EaselSettings


@pytest.fixture
async def store(js: JetStreamContext) -> ObjectStore:
    return await bus.images_store(js, EaselSettings())


@pytest.fixture
def writer(store: ObjectStore) -> ImageWriter:
    return ImageWriter(store)


@pytest.fixture
def reader(js: JetStreamContext) -> ImageReader:
    return ImageReader(js, timeout=10.0)


@pytest.fixture
def store_image(writer: ImageWriter) -> Callable[[str, bytes], Awaitable[StoredImage]]:
    async def put(name: str, data: bytes) -> StoredImage:
        return await writer.put(name, data, "image/png", 0.0)

    return put
