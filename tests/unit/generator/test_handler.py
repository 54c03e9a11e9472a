"""The generator's job handler with its publish, image store and backend injected: what it
publishes, in what order, what it stores, and what it decides for the message."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from nats.js.api import PubAck

from easel import bus
from easel.events import (
    ErrorCode,
    Event,
    ImageFailed,
    ImageGenerated,
    ImageProgress,
    ImageStarted,
    Params,
    PromptEnhanced,
    StoredImage,
)
from easel.images import Found
from easel.jobs import Ending
from easel.settings import ModelSpec
from easel_devtools.standins import png
from easel_devtools.testing import MemoryEndings, MemoryServiceTimes, enhanced, models
from easel_generator.backends import Expired, Failed, Generated
from easel_generator.circuit_breaker import Breaker
from easel_generator.handler import JobHandler, queued_seconds
from easel_generator.kinds import Photo
from easel_generator.verdicts import Body, Failure

SPEC = models("http://127.0.0.1:9/flux").get("flux")
assert SPEC is not None
PNG = png("a cat")


def delivery(attempt: int = 1) -> bus.Delivery:
    return bus.Delivery("prompt.enhanced.flux", attempt, 1)


class Published(list[Event]):
    async def __call__(self, event: Event) -> PubAck:
        self.append(event)
        return PubAck(stream="EASEL_RESULTS", seq=len(self))


class Images:
    """The Object Store as a dict: name → (image, generation seconds)."""

    def __init__(self) -> None:
        self.stored: dict[str, Found] = {}
        self.data: dict[str, bytes] = {}
        self.looked_up: list[str] = []

    async def find(self, name: str) -> Found | None:
        self.looked_up.append(name)
        return self.stored.get(name)

    async def put(
        self, name: str, data: Body, content_type: str, generation_seconds: float
    ) -> StoredImage:
        image = StoredImage(
            bucket="easel_images",
            object_name=name,
            size=len(data),
            content_type=content_type,
            sha256=hashlib.sha256(data).hexdigest(),
        )
        self.stored[name] = Found(image, generation_seconds)
        self.data[name] = bytes(data)
        return image

    async def fetch(self, image: StoredImage) -> memoryview | None:
        """What the generator reads a photo to start from with (an ImageReader)."""
        data = self.data.get(image.object_name)
        return None if data is None else memoryview(data)


class Backend:
    """Answers every job with `result`, counting the prompts it was given."""

    def __init__(self, result: Generated | Failed | Expired, reports: tuple[int, ...] = ()) -> None:
        self.spec: ModelSpec = SPEC
        self.breaker = Breaker("flux", threshold=1, open_seconds=60)
        self.result = result
        self.reports = reports  # progress the render reports, in order
        self.prompts: list[str] = []
        self.photos: list[Photo | None] = []

    async def generate(
        self,
        prompt: str,
        until: float | None = None,
        progress: Callable[[int], None] | None = None,
        params: Params | None = None,
        photo: Photo | None = None,
    ) -> Generated | Failed | Expired:
        self.prompts.append(prompt)
        self.photos.append(photo)
        for percent in self.reports:
            assert progress is not None
            progress(percent)
            await asyncio.sleep(0)  # the render goes on while a report is published
        return self.result


def handler(
    published: Published,
    images: Images,
    backend: Backend,
    endings: MemoryEndings | None = None,
    service_times: MemoryServiceTimes | None = None,
) -> JobHandler:
    return JobHandler(
        publish=published,
        images=images,
        photos=images,
        backend=backend,  # type: ignore[arg-type]
        endings=endings or MemoryEndings(),  # type: ignore[arg-type]
        service_times=service_times or MemoryServiceTimes(),  # type: ignore[arg-type]
        deadline_seconds=60,
    )


async def test_a_generated_image_is_stored_then_announced_after_its_start() -> None:
    published, images = Published(), Images()
    backend = Backend(Generated(PNG, "image/png", attempts=2))
    outcome = await handler(published, images, backend).handle(enhanced("tg_1_1"), delivery())
    assert outcome == bus.ACK
    started, generated = published
    assert isinstance(started, ImageStarted)
    assert (started.job_id, started.attempt) == ("tg_1_1", 1)
    assert isinstance(generated, ImageGenerated)
    assert generated.prompt == "a cat, tg_1_1"
    assert generated.image == images.stored["tg_1_1"].image
    assert generated.image.sha256 == hashlib.sha256(PNG).hexdigest()
    assert backend.prompts == ["a cat, tg_1_1"]
    assert images.looked_up == []  # a first delivery cannot find an image of its own


async def test_the_renders_progress_is_published_once_per_change_and_second() -> None:
    published, images = Published(), Images()
    backend = Backend(Generated(PNG, "image/png", attempts=1), reports=(10, 10, 40, 70))
    outcome = await handler(published, images, backend).handle(enhanced("tg_1_9"), delivery())
    assert outcome == bus.ACK
    progress = [e for e in published if isinstance(e, ImageProgress)]
    # 10 at once; the rest within the same second: dropped, the image says the rest.
    assert [(p.job_id, p.percent) for p in progress] == [("tg_1_9", 10)]
    assert progress[0].subject == "image.progress.flux.tg_1_9"
    assert isinstance(published[-1], ImageGenerated)


def from_photo(job_id: str, photo: StoredImage) -> PromptEnhanced:
    source = enhanced(job_id)
    params = Params(init_image=photo, strength=0.4)
    return source.model_copy(update={"job": source.job.model_copy(update={"params": params})})


async def test_a_job_from_a_photo_gives_the_backend_the_stored_photos_bytes() -> None:
    published, images = Published(), Images()
    photo = await images.put("tg_1_7.init", PNG, "image/png", 0)
    backend = Backend(Generated(PNG, "image/png", attempts=1))
    job = handler(published, images, backend)
    assert await job.handle(from_photo("tg_1_7", photo), delivery()) == bus.ACK
    assert backend.photos == [Photo(PNG, "image/png")]
    assert isinstance(published[-1], ImageGenerated)


async def test_a_job_whose_photo_is_gone_fails_without_reaching_the_backend() -> None:
    published, images = Published(), Images()
    photo = await images.put("tg_1_8.init", PNG, "image/png", 0)
    del images.data["tg_1_8.init"]  # its TTL took it while the job waited
    backend = Backend(Generated(PNG, "image/png", attempts=1))
    job = handler(published, images, backend)
    assert await job.handle(from_photo("tg_1_8", photo), delivery()) == bus.ACK
    assert backend.prompts == []
    (failed,) = published
    assert isinstance(failed, ImageFailed)
    assert failed.error_code is ErrorCode.PHOTO_UNAVAILABLE
    assert failed.schema_version == 4


async def test_a_failed_backend_fails_the_job_and_the_message_is_done() -> None:
    published, images = Published(), Images()
    failure = Failure(ErrorCode.MODERATED, "HTTP 400: refused by the content filter")
    backend = Backend(Failed(failure, attempts=1))
    outcome = await handler(published, images, backend).handle(enhanced("tg_1_2"), delivery())
    assert outcome == bus.ACK
    started, failed = published
    assert isinstance(started, ImageStarted)
    assert isinstance(failed, ImageFailed)
    assert (failed.error_code, failed.detail, failed.attempts, failed.retried) == (
        ErrorCode.MODERATED,
        failure.detail,
        1,
        False,
    )
    assert images.stored == {}


async def test_a_backend_down_until_the_deadline_is_dead_lettered() -> None:
    published = Published()
    backend = Backend(Expired(attempts=3))
    outcome = await handler(published, Images(), backend).handle(enhanced("tg_1_3"), delivery())
    detail = "the backend stayed unavailable until the job's deadline"
    assert outcome == bus.Term(bus.Reason.DEADLINE, detail)
    failed = published[-1]
    assert isinstance(failed, ImageFailed)
    assert (failed.error_code, failed.attempts, failed.retried) == (
        ErrorCode.BACKEND_UNAVAILABLE,
        3,
        True,
    )


async def test_a_job_past_its_deadline_never_reaches_the_backend() -> None:
    published = Published()
    backend = Backend(Generated(PNG, "image/png", 1))
    job = enhanced("tg_1_4", age=61)
    outcome = await handler(published, Images(), backend).handle(job, delivery())
    assert outcome == bus.Term(bus.Reason.DEADLINE, "not started within 60 s of the request")
    [failed] = published
    assert isinstance(failed, ImageFailed)
    assert failed.error_code == ErrorCode.TIMEOUT
    assert backend.prompts == []


async def test_past_its_deadline_while_the_circuit_is_open_the_user_hears_the_backend_is_down() -> (
    None
):
    published = Published()
    backend = Backend(Generated(PNG, "image/png", 1))
    async with backend.breaker.slot() as slot:
        assert slot is not None
        await slot.record(ok=False)  # threshold 1: the circuit opens
    await handler(published, Images(), backend).handle(enhanced("tg_1_5", age=61), delivery())
    [failed] = published
    assert isinstance(failed, ImageFailed)
    assert failed.error_code == ErrorCode.BACKEND_UNAVAILABLE


async def test_a_redelivered_job_whose_image_is_stored_is_announced_again_not_rendered() -> None:
    published, images = Published(), Images()
    backend = Backend(Generated(PNG, "image/png", 1))
    jobs = handler(published, images, backend)
    await jobs.handle(enhanced("tg_1_6"), delivery(1))
    first = published[-1]
    outcome = await jobs.handle(enhanced("tg_1_6", age=61), delivery(2))  # late, yet stored
    assert outcome == bus.ACK
    assert backend.prompts == ["a cat, tg_1_6"]
    assert images.looked_up == ["tg_1_6"]
    started, again = published[2:]
    assert isinstance(started, ImageStarted)
    assert started.attempt == 2
    assert isinstance(first, ImageGenerated)
    assert isinstance(again, ImageGenerated)
    assert again.image == first.image
    assert again.generation_seconds == images.stored["tg_1_6"].generation_seconds


async def test_giving_up_tells_the_user() -> None:
    published = Published()
    jobs = handler(published, Images(), Backend(Expired(0)))
    await jobs.give_up(enhanced("tg_1_7"), delivery(10))
    [failed] = published
    assert isinstance(failed, ImageFailed)
    assert (failed.error_code, failed.detail) == (
        ErrorCode.INTERNAL,
        "processing failed on all 10 deliveries",
    )


def test_queued_seconds_never_negative() -> None:
    now = datetime.now(UTC)
    assert queued_seconds(now - timedelta(seconds=3), now) == 3.0
    assert queued_seconds(now + timedelta(seconds=1), now) == 0.0


class HangingBackend(Backend):
    """A backend that works until it is abandoned, and says so."""

    def __init__(self) -> None:
        super().__init__(Generated(PNG, "image/png", 1))
        self.working = asyncio.Event()
        self.abandoned = False

    async def generate(
        self,
        prompt: str,
        until: float | None = None,
        progress: Callable[[int], None] | None = None,
        params: Params | None = None,
        photo: Photo | None = None,
    ) -> Generated | Failed | Expired:
        self.prompts.append(prompt)
        self.photos.append(photo)
        self.working.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            self.abandoned = True
            raise
        raise AssertionError("unreachable: only a cancel ends this work")


async def test_a_job_cancelled_while_waiting_never_reaches_the_backend() -> None:
    published, images = Published(), Images()
    backend = Backend(Generated(PNG, "image/png", 1))
    endings = MemoryEndings(tg_2_1=Ending.CANCELLED)
    jobs = handler(published, images, backend, endings)
    assert await jobs.handle(enhanced("tg_2_1"), delivery()) == bus.ACK
    assert backend.prompts == []
    assert published == []


async def test_a_job_cancelled_at_its_backend_is_abandoned_at_once() -> None:
    published, images, backend = Published(), Images(), HangingBackend()
    jobs = handler(published, images, backend)
    running = asyncio.create_task(jobs.handle(enhanced("tg_2_2"), delivery()))
    async with asyncio.timeout(5):
        await backend.working.wait()
        jobs.cancel("tg_2_2")
        assert await running == bus.ACK
    assert backend.abandoned
    assert [type(e) for e in published] == [ImageStarted]  # no result, no image
    assert images.stored == {}


async def test_a_first_attempt_render_feeds_the_estimates_and_a_retried_one_does_not() -> None:
    times = MemoryServiceTimes()
    jobs = handler(Published(), Images(), Backend(Generated(PNG, "image/png", 2)), None, times)
    await jobs.handle(enhanced("tg_3_1"), delivery())
    assert times.times == {}  # two attempts: the backend's time says little about the model
    jobs = handler(Published(), Images(), Backend(Generated(PNG, "image/png", 1)), None, times)
    await jobs.handle(enhanced("tg_3_2"), delivery())
    async with asyncio.timeout(5):
        await times.recorded.wait()
    assert times.times["flux"].samples == 1
