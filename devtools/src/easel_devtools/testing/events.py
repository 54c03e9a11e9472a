"""Events of every family, as their publishers would make them, for tests to publish."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from easel import bus
from easel.events import (
    ErrorCode,
    Event,
    ImageCancelled,
    ImageDelivered,
    ImageFailed,
    ImageGenerated,
    ImageRequested,
    ImageStarted,
    JobContext,
    JobEvent,
    PromptEnhanced,
    PromptEnhancing,
    StoredImage,
    TelegramRequester,
)
from easel.settings import ModelRegistry, load_registry

# Both built-in models, at a URL nothing answers: for tests that never reach a backend.
REGISTRY = load_registry(
    {"FLUX_WORKER_URL": "http://127.0.0.1:9/flux", "SDXL_WORKER_URL": "http://127.0.0.1:9/sdxl"}
)


def models(flux_url: str) -> ModelRegistry:
    """`flux` alone, served at `flux_url`."""
    return load_registry({"FLUX_WORKER_URL": flux_url})


def job(
    prompt: str = "a cat",
    *,
    age: float = 0.0,
    chat_id: int | None = None,
    status_id: int | None = None,
) -> JobContext:
    """A job requested `age` seconds ago; from a Telegram chat when both ids are given."""
    requester = None
    if chat_id is not None and status_id is not None:
        requester = TelegramRequester(chat_id=chat_id, user_id=chat_id, status_message_id=status_id)
    requested_at = datetime.now(UTC) - timedelta(seconds=age)
    return JobContext(original_prompt=prompt, requested_at=requested_at, requester=requester)


def requested(job_id: str, model: str = "flux", age: float = 0.0) -> ImageRequested:
    return ImageRequested(job_id=job_id, model=model, job=job(age=age))


def enhanced(job_id: str, model: str = "flux", age: float = 0.0) -> PromptEnhanced:
    prompt = f"a cat, {job_id}"
    return PromptEnhanced(
        job_id=job_id, model=model, job=job(age=age), prompt=prompt, enhanced=True
    )


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


STORED_IMAGE = StoredImage(
    bucket="easel_images", object_name="x", size=10, content_type="image/png", sha256="0" * 64
)


def journey(
    job_id: str, user: int = 1, ending: str = "delivered", at: datetime | None = None
) -> list[JobEvent]:
    """Every event of one Telegram job, as the services publish them, to its `ending`:
    delivered, failed or cancelled."""
    context = JobContext(
        original_prompt=f"a cat for {user}",
        requested_at=at or datetime.now(UTC),
        requester=TelegramRequester(chat_id=user, user_id=user, status_message_id=1),
    )
    first = ImageRequested(job_id=job_id, model="flux", job=context)
    events: list[JobEvent] = [first, PromptEnhancing.after(first, attempt=1)]
    if ending == "cancelled":
        return [*events, ImageCancelled.after(first)]
    events += [
        PromptEnhanced.after(first, prompt="a ginger cat", enhanced=True),
        ImageStarted.after(first, attempt=1),
    ]
    if ending == "failed":
        return [*events, ImageFailed.for_job(first, ErrorCode.TIMEOUT, "late", attempts=1)]
    generated = ImageGenerated.after(
        first, prompt="a ginger cat", image=STORED_IMAGE, queued_seconds=0, generation_seconds=1
    )
    return [*events, generated, ImageDelivered.after(first, file_id=f"file-{job_id}")]
