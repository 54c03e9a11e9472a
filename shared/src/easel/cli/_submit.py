"""`easel submit MODEL PROMPT`: one job through the real pipeline, the image written to a file."""

from __future__ import annotations

import asyncio
import contextlib
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

import nats.errors
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from pydantic import ValidationError

from easel import bus, jobs
from easel.events import (
    MAX_PROMPT_CHARS,
    ImageDelivered,
    ImageFailed,
    ImageGenerated,
    ImageRequested,
    ImageStarted,
    JobContext,
)
from easel.images import ImageCorrupt, ImageReader
from easel.jobs import decode_job_event
from easel.settings import EaselSettings, load_settings

SOURCE = "easel submit"
_PROGRESS_SECONDS = 2.0
_EXTENSIONS = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/webp": ".webp",
    "image/gif": ".gif",
}


async def submit(model: str, prompt: str, output: Path | None, wait_seconds: float) -> int:
    settings, registry = load_settings(EaselSettings, "easel submit")
    if registry.get(model) is None:
        print(f"unknown model {model!r}; available: {', '.join(registry.names)}", file=sys.stderr)
        return 2
    try:
        job = JobContext(original_prompt=prompt.strip(), requested_at=datetime.now(UTC))
    except ValueError:
        print(f"the prompt must be 1 to {MAX_PROMPT_CHARS} characters", file=sys.stderr)
        return 2
    nc = await bus.connect(settings.nats_url, "easel-submit")
    js = nc.jetstream()
    try:
        await bus.provision(js, settings, registry)
        event = ImageRequested(job_id=f"cli_{uuid.uuid4().hex[:16]}", model=model, job=job)
        outcome: asyncio.Future[ImageGenerated | ImageFailed] = asyncio.Future()

        async def on_result(msg: Msg) -> None:
            try:
                result = decode_job_event(msg.data)
            except ValidationError:
                return  # not an event this version knows: nothing to wait for in it
            if result.job_id != event.job_id or outcome.done():
                return
            if isinstance(result, ImageGenerated | ImageFailed):
                outcome.set_result(result)
            elif isinstance(result, ImageStarted):
                print(f"generating with {model} (attempt {result.attempt})…", file=sys.stderr)

        # Subscribe before publishing so the result cannot slip past.
        sub = await nc.subscribe(f"image.*.{model}", cb=on_result)
        await bus.publish(js, event, source=SOURCE)
        print(f"submitted {event.job_id}; waiting for {model} (Ctrl-C cancels)…", file=sys.stderr)
        progress = asyncio.create_task(_show_progress(js, event, registry.capacity_of(model)))
        try:
            result = await asyncio.wait_for(outcome, wait_seconds)
        except TimeoutError:
            print(f"no result within {wait_seconds:.0f} s (job {event.job_id})", file=sys.stderr)
            return 1
        except asyncio.CancelledError:  # Ctrl-C: the job goes too
            await _cancel(js, event)
            raise
        finally:
            progress.cancel()
            await sub.unsubscribe()
        if isinstance(result, ImageFailed):
            print(f"failed: {result.error_code.value} {result.detail}".rstrip(), file=sys.stderr)
            return 1
        return await _save(js, result, output)
    finally:
        await nc.close()


async def _show_progress(js: JetStreamContext, event: ImageRequested, capacity: int) -> None:
    """Where the job stands in its model's queue, and the estimate, whenever they change."""
    service_times = jobs.ServiceTimes(await js.key_value(bus.SERVICE_TIMES_BUCKET))
    shown = None
    while True:
        with contextlib.suppress(nats.errors.Error):
            place = (await jobs.positions(js, event.model)).get(event.job_id)
            service = await service_times.of(event.model)
            if place is not None:
                line = f"position {place} in the {event.model} queue"
                if service is not None:
                    value, unit = jobs.rounded(jobs.ready_in(place, capacity, service))
                    line += f" · about {value} {unit}"
                if line != shown:
                    print(line, file=sys.stderr)
                    shown = line
        await asyncio.sleep(_PROGRESS_SECONDS)  # a display's refresh, not a synchronisation


async def _cancel(js: JetStreamContext, event: ImageRequested) -> None:
    endings = jobs.Endings(await js.key_value(bus.ENDINGS_BUCKET))
    publish = bus.publisher(js, SOURCE)
    ending = await jobs.cancel(endings, publish, event.job_id, event.model, event.job)
    said = "cancelled" if ending is jobs.Ending.CANCELLED else f"not cancelled: {ending.value}"
    print(f"{event.job_id}: {said}", file=sys.stderr)


async def _save(js: JetStreamContext, result: ImageGenerated, output: Path | None) -> int:
    images = ImageReader(js)
    try:
        data = await images.fetch(result.image)
    except ImageCorrupt as error:
        print(f"the stored image is damaged: {error}", file=sys.stderr)
        return 1
    if data is None:
        print("the image expired before it could be read", file=sys.stderr)
        return 1
    path = output or Path(result.job_id + _EXTENSIONS.get(result.image.content_type, ".img"))
    path.write_bytes(data)
    await bus.publish(js, ImageDelivered.after(result), source=SOURCE)
    await images.discard(result.image)
    print(f"enhanced prompt: {result.prompt}", file=sys.stderr)
    print(path)
    return 0
