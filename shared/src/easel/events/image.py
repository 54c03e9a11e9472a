"""The `image.*` family: a job requested, started, generated, and its one ending: delivered,
failed or cancelled."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, ClassVar, Literal, Self

from pydantic import Field

from easel.events._job import JobEvent
from easel.events._limits import MAX_PROMPT_CHARS
from easel.events._stored import StoredImage


class ImageRequested(JobEvent):
    """Gateway → enhancer: a validated request has been accepted."""

    subject_prefix: ClassVar[str] = "image.requested"
    publisher: ClassVar[str] = "gateway, easel submit"
    consumers: ClassVar[tuple[str, ...]] = ("enhancer",)
    event_type: Literal["image.requested"] = "image.requested"


class ImageStarted(JobEvent):
    """Generator → notifier: the model's backend has taken the job."""

    subject_prefix: ClassVar[str] = "image.started"
    publisher: ClassVar[str] = "generator"
    consumers: ClassVar[tuple[str, ...]] = ("notifier (status edit, queue positions)",)
    event_type: Literal["image.started"] = "image.started"
    attempt: int = Field(ge=1, description="JetStream delivery count (2+ after a redelivery)")


class ImageProgress(JobEvent):
    """Generator → notifier, gateway: how far the backend's render has come. Ephemeral:
    about one a second per job at most, only on a change; EASEL_PROGRESS keeps the latest
    of each job for a few minutes, and the job view's history never holds it."""

    since_version: ClassVar[int] = 3
    subject_prefix: ClassVar[str] = "image.progress"
    publisher: ClassVar[str] = "generator (a1111, comfyui)"
    consumers: ClassVar[tuple[str, ...]] = (
        "notifier (status edit, durable `notifier-progress`)",
        "gateway (the API's job view and its events stream)",
    )
    event_type: Literal["image.progress"] = "image.progress"
    percent: int = Field(ge=0, le=100, description="of the render, as the backend reports it")

    @property
    def subject(self) -> str:
        return self.subject_of(self.model, self.job_id)

    @classmethod
    def subject_of(cls, model: str, job_id: str) -> str:
        """One subject per job: the stream keeps only its latest (max_msgs_per_subject=1)."""
        return f"{cls.subject_prefix}.{model}.{job_id}"

    @property
    def msg_id(self) -> str:
        # Never a duplicate: a retried render starts again from 0 %, and must be shown so.
        # The stream keeps the latest per job, so a repeat publish does no harm.
        return f"{self.event_type}:{self.event_id}"


class ImageGenerated(JobEvent):
    """Generator → notifier: the image is stored and ready to deliver."""

    subject_prefix: ClassVar[str] = "image.generated"
    publisher: ClassVar[str] = "generator"
    consumers: ClassVar[tuple[str, ...]] = ("notifier", "easel submit")
    event_type: Literal["image.generated"] = "image.generated"
    prompt: str = Field(
        min_length=1, max_length=MAX_PROMPT_CHARS, description="the prompt rendered"
    )
    image: StoredImage
    queued_seconds: float = Field(ge=0, description="from prompt.enhanced to the backend call")
    generation_seconds: float = Field(ge=0, description="backend time, retries included")
    seed: int | None = Field(
        default=None,
        description="the seed used, when the backend says",
        exclude_if=lambda seed: seed is None,  # absent, not null: what version 2 wrote
    )
    enhanced: bool = Field(
        default=True,
        description="False: the prompt went as the user typed it (version 4)",
        exclude_if=lambda enhanced: enhanced,  # absent when True: what version 3 meant
    )

    @classmethod
    def _version_for(cls, data: dict[str, Any]) -> int:
        return max(super()._version_for(data), 4 if data.get("enhanced") is False else 0)


class ErrorCode(StrEnum):
    """Stable reasons a job failed; the notifier maps each to a friendly message."""

    TIMEOUT = "timeout"
    AUTH = "auth"
    RATE_LIMITED = "rate_limited"
    MODERATED = "moderated"
    BAD_REQUEST = "bad_request"
    BACKEND_UNAVAILABLE = "backend_unavailable"
    INVALID_IMAGE = "invalid_image"
    UNKNOWN_MODEL = "unknown_model"
    EXPIRED = "expired"  # the image was gone (its TTL) before it could be delivered
    PHOTO_UNAVAILABLE = "photo_unavailable"  # the photo to start from was gone or damaged
    INTERNAL = "internal"


class ImageFailed(JobEvent):
    """Generator → notifier: the job ended without an image."""

    subject_prefix: ClassVar[str] = "image.failed"
    publisher: ClassVar[str] = (
        "generator; enhancer (unknown model, past its deadline, given up after max deliveries)"
    )
    consumers: ClassVar[tuple[str, ...]] = ("notifier", "easel submit")
    event_type: Literal["image.failed"] = "image.failed"
    error_code: ErrorCode
    retried: bool = Field(description="more than one backend attempt was made")
    attempts: int = Field(ge=0, description="backend attempts")
    detail: str = Field(default="", max_length=500, description="safe for users: no URL, no key")

    @classmethod
    def for_job(cls, source: JobEvent, code: ErrorCode, detail: str, *, attempts: int = 0) -> Self:
        """The failure of the job `source` belongs to, after `attempts` backend attempts."""
        return cls.after(
            source, error_code=code, retried=attempts > 1, attempts=attempts, detail=detail
        )

    @classmethod
    def _version_for(cls, data: dict[str, Any]) -> int:
        photo = data.get("error_code") == ErrorCode.PHOTO_UNAVAILABLE  # a version 4 code
        return max(super()._version_for(data), 4 if photo else 0)


class ImageDelivered(JobEvent):
    """Notifier → job view: the user has the image (Telegram accepted the photo, or
    `easel submit` wrote the file). A job's ending."""

    subject_prefix: ClassVar[str] = "image.delivered"
    publisher: ClassVar[str] = "notifier; easel submit"
    consumers: ClassVar[tuple[str, ...]] = ("projector (job view)",)
    event_type: Literal["image.delivered"] = "image.delivered"
    file_id: str | None = Field(
        default=None,
        max_length=256,
        description="Telegram's file_id of the photo, to send it again; None outside Telegram",
    )


class ImageCancelled(JobEvent):
    """Front door → generator, notifier, job view: the owner cancelled the job. A job's
    ending: no image follows, even one already generated."""

    subject_prefix: ClassVar[str] = "image.cancelled"
    publisher: ClassVar[str] = "gateway; easel submit"
    consumers: ClassVar[tuple[str, ...]] = (
        "generator (abandons the job)",
        "notifier (status: cancelled)",
        "projector (job view)",
    )
    event_type: Literal["image.cancelled"] = "image.cancelled"
