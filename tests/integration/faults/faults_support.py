"""Shared pieces of the fault tests: events of every family, and awaitable collectors of what
lands on core NATS subjects (dead letters, results), so tests wait on events, not on time."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from prometheus_client import REGISTRY as METRICS

from easel import bus
from easel.events import (
    Event,
    ImageFailed,
    ImageGenerated,
    ImageRequested,
    ImageStarted,
    JobContext,
    PromptEnhanced,
    StoredImage,
)
from easel.runtime import Runtime
from easel.settings import ModelRegistry, load_registry
from easel_generator.__main__ import serve as serve_generator
from easel_generator.settings import Settings as GeneratorSettings

REGISTRY = load_registry(
    {"FLUX_WORKER_URL": "http://127.0.0.1:9/flux", "SDXL_WORKER_URL": "http://127.0.0.1:9/sdxl"}
)
Result = ImageStarted | ImageGenerated | ImageFailed
_results = bus.decoder(ImageStarted, ImageGenerated, ImageFailed)


def job(age_seconds: float = 0.0) -> JobContext:
    requested_at = datetime.now(UTC) - timedelta(seconds=age_seconds)
    return JobContext(original_prompt="a cat", requested_at=requested_at)


def requested(job_id: str, model: str = "flux", age: float = 0.0) -> ImageRequested:
    return ImageRequested(job_id=job_id, model=model, job=job(age))


def enhanced(job_id: str, model: str = "flux", age: float = 0.0) -> PromptEnhanced:
    prompt = f"a cat, {job_id}"
    return PromptEnhanced(job_id=job_id, model=model, job=job(age), prompt=prompt, enhanced=True)


def started(job_id: str, model: str = "flux") -> ImageStarted:
    return ImageStarted(job_id=job_id, model=model, job=job(), attempt=1)


def generated(job_id: str, model: str = "flux") -> ImageGenerated:
    image = StoredImage(
        bucket=bus.IMAGES_BUCKET,
        object_name=job_id,
        size=1,
        content_type="image/png",
        sha256="0" * 64,
    )
    return ImageGenerated(
        job_id=job_id,
        model=model,
        job=job(),
        prompt="a cat",
        image=image,
        queued_seconds=0,
        generation_seconds=0,
    )


def failed(job_id: str, model: str = "flux") -> ImageFailed:
    return ImageFailed(
        job_id=job_id, model=model, job=job(), error_code="internal", retried=False, attempts=0
    )


EVENT_OF_FAMILY: dict[str, Callable[[str, str], Event]] = {
    "image.requested": requested,
    "prompt.enhanced": enhanced,
    "image.started": started,
    "image.generated": generated,
    "image.failed": failed,
}


@dataclass(frozen=True)
class Seen:
    subject: str
    data: bytes
    headers: dict[str, str]


class Collector:
    """Every message on a core subject, with an awaitable condition over them."""

    def __init__(self) -> None:
        self.seen: list[Seen] = []
        self._changed = asyncio.Condition()

    async def subscribe(self, nc: Client, *subjects: str) -> Collector:
        for subject in subjects:
            await nc.subscribe(subject, cb=self._on)
        return self

    async def _on(self, msg: Msg) -> None:
        async with self._changed:
            self.seen.append(Seen(msg.subject, msg.data, dict(msg.headers or {})))
            self._changed.notify_all()

    async def wait_for(self, predicate: Callable[[], bool], within: float = 15.0) -> None:
        async with asyncio.timeout(within), self._changed:
            await self._changed.wait_for(predicate)

    async def wait_count(self, count: int, within: float = 15.0) -> None:
        await self.wait_for(lambda: len(self.seen) >= count, within)


class Letters(Collector):
    """Dead letters as they are stored (core NATS sees every JetStream publish)."""

    @classmethod
    async def watch(cls, nc: Client) -> Letters:
        return cast(Letters, await cls().subscribe(nc, "dlq.>"))

    def reasons(self) -> list[str]:
        return [s.headers[bus.DlqHeader.REASON] for s in self.seen]


class Results(Collector):
    @classmethod
    async def watch(cls, nc: Client) -> Results:
        subjects = ("image.started.>", "image.generated.>", "image.failed.>")
        return cast(Results, await cls().subscribe(nc, *subjects))

    def events(self) -> list[Result]:
        return [cast(Result, _results.validate_json(s.data)) for s in self.seen]

    def of(self, kind: type[Any]) -> list[Any]:
        return [e for e in self.events() if isinstance(e, kind)]


def sample(name: str, **labels: str) -> float:
    return METRICS.get_sample_value(name, labels) or 0.0


def dead_letters(consumer: str, reason: str) -> float:
    return sample("easel_dead_letters_total", consumer=consumer, reason=reason)


@asynccontextmanager
async def generator(
    nc: Client, js: JetStreamContext, registry: ModelRegistry, settings: GeneratorSettings
) -> AsyncIterator[Runtime[GeneratorSettings]]:
    """The generator's serve() wired as in production, until the block ends."""
    await bus.provision(js, settings, registry)
    runtime = Runtime(settings, registry, nc, js, asyncio.Event())
    task = asyncio.create_task(serve_generator(runtime))
    try:
        yield runtime
    finally:
        runtime.stop.set()
        await asyncio.wait_for(task, timeout=15)


def models(flux_url: str) -> ModelRegistry:
    return load_registry({"FLUX_WORKER_URL": flux_url})
