"""The handler holds at most `images_in_memory` images: fetched and not yet settled."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import UTC, datetime
from typing import Any

from easel import bus
from easel.events import Event, ImageGenerated
from easel.images import ImageCorrupt
from easel.settings import load_registry
from easel_devtools.testing import MemoryEndings, MemoryServiceTimes
from easel_notifier.bot_calls import SendPhoto
from easel_notifier.handler import ResultHandler
from easel_notifier.scheduler import Settled, Settlement

WITHIN = 5.0  # every wait is bounded: a broken bound fails, it does not hang
REGISTRY = load_registry({"FLUX_WORKER_URL": "http://127.0.0.1:9/flux"})
DATA = b"\x89PNG image"


class Images:
    """Fetches count as held until the photo they fed is settled."""

    def __init__(self, outcomes: list[Any] | None = None) -> None:
        self.outcomes = outcomes or []  # per fetch: an exception to raise, None, or bytes
        self.fetched = 0
        self.held = 0
        self.most_held = 0

    async def fetch(self, image: object) -> memoryview | None:
        self.fetched += 1
        outcome = self.outcomes.pop(0) if self.outcomes else DATA
        if isinstance(outcome, BaseException):
            raise outcome
        if outcome is None:
            return None
        self.held += 1
        self.most_held = max(self.most_held, self.held)
        return memoryview(outcome)

    async def discard(self, image: object) -> None:
        pass


class Outbox:
    """Photos wait until the test settles them; everything else is accepted at once."""

    def __init__(self, images: Images) -> None:
        self.images = images
        self.photos: asyncio.Queue[asyncio.Future[Settled]] = asyncio.Queue()
        self.sending = 0
        self.all_sending = asyncio.Event()
        self.expected_sending = 0

    def edit(self, chat_id: int, message_id: int, text: str, stage: object, **_: object) -> None:
        if text.startswith("📤"):  # "Sending…": the handler is about to fetch
            self.sending += 1
            if self.sending == self.expected_sending:
                self.all_sending.set()

    async def deliver(self, request: object, **_: object) -> Settled:
        if not isinstance(request, SendPhoto):
            return Settled(Settlement.ACCEPTED)
        settled: asyncio.Future[Settled] = asyncio.get_running_loop().create_future()
        await self.photos.put(settled)
        try:
            return await settled
        finally:
            self.images.held -= 1


class Ledger:
    async def delivered(self, job_id: str) -> None:
        return None

    async def record(self, job_id: str, file_id: str | None) -> bool:
        return True


async def publish(event: Event) -> None:
    """The delivered events; what they carry is the delivery tests' business."""


def generated(n: int) -> ImageGenerated:
    return ImageGenerated.model_validate(
        {
            "job_id": f"tg_1_{n}",
            "model": "flux",
            "job": {
                "original_prompt": "a cat",
                "requested_at": datetime.now(UTC).isoformat(),
                "requester": {"chat_id": n, "user_id": n, "status_message_id": 7},
            },
            "prompt": "a cat",
            "image": {
                "bucket": bus.IMAGES_BUCKET,
                "object_name": f"tg_1_{n}",
                "size": len(DATA),
                "content_type": "image/png",
                "sha256": hashlib.sha256(DATA).hexdigest(),
            },
            "queued_seconds": 0.0,
            "generation_seconds": 0.0,
        }
    )


def handler(images: Images, outbox: Outbox, bound: int) -> ResultHandler:
    return ResultHandler(
        outbox,
        images,
        Ledger(),
        REGISTRY,
        endings=MemoryEndings(),
        service_times=MemoryServiceTimes(),
        publish=publish,
        images_in_memory=bound,
    )  # type: ignore[arg-type]


async def test_a_burst_holds_at_most_the_bound() -> None:
    images = Images()
    outbox = Outbox(images)
    outbox.expected_sending = 6
    handle = handler(images, outbox, bound=2)
    delivery = bus.Delivery("image.generated.flux", 1, 1)
    tasks = [asyncio.create_task(handle(generated(n), delivery)) for n in range(6)]
    async with asyncio.timeout(WITHIN):
        # Every handler has reached the bound (the edit comes right before it)...
        await outbox.all_sending.wait()
        photos = [await outbox.photos.get(), await outbox.photos.get()]
        # ...and only two got past it.
        assert images.fetched == 2
        assert outbox.photos.empty()
        for _ in range(4):  # each settled photo lets exactly one more image in
            photos.pop(0).set_result(Settled(Settlement.ACCEPTED))
            photos.append(await outbox.photos.get())
            assert images.held <= 2
        for photo in photos:
            photo.set_result(Settled(Settlement.ACCEPTED))
        outcomes = await asyncio.gather(*tasks)
    assert outcomes == [bus.ACK] * 6
    assert images.fetched == 6
    assert images.most_held == 2


async def test_a_refused_photo_frees_its_place_too() -> None:
    images = Images()
    outbox = Outbox(images)
    handle = handler(images, outbox, bound=1)
    delivery = bus.Delivery("image.generated.flux", 1, 1)
    async with asyncio.timeout(WITHIN):
        first = asyncio.create_task(handle(generated(1), delivery))
        (await outbox.photos.get()).set_result(Settled(Settlement.GAVE_UP, "network"))
        assert isinstance(await first, bus.Nak)
        second = asyncio.create_task(handle(generated(2), delivery))
        (await outbox.photos.get()).set_result(Settled(Settlement.ACCEPTED))
        assert await second == bus.ACK


async def test_fetches_that_bring_no_photo_free_their_place() -> None:
    # Corrupt, expired, the bus timing out: none may keep the only place.
    images = Images([ImageCorrupt("sha256 differs"), None, TimeoutError()])
    outbox = Outbox(images)
    handle = handler(images, outbox, bound=1)
    delivery = bus.Delivery("image.generated.flux", 1, 1)
    async with asyncio.timeout(WITHIN):
        assert await handle(generated(1), delivery) == bus.ACK  # corrupt: told, acked
        assert await handle(generated(2), delivery) == bus.ACK  # expired: told, acked
        assert isinstance(await handle(generated(3), delivery), bus.Nak)  # retried later
        last = asyncio.create_task(handle(generated(4), delivery))
        (await outbox.photos.get()).set_result(Settled(Settlement.ACCEPTED))
        assert await last == bus.ACK
    assert images.fetched == 4
