"""One job as the view holds it: who, what, where it stands, and when it got there."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from easel.events import (
    ApiRequester,
    ErrorCode,
    JobContext,
    JobId,
    ModelName,
    Requester,
    StoredImage,
    TelegramRequester,
)


class JobState(StrEnum):
    """queued → enhancing → waiting → generating → sending → delivered | failed | cancelled.
    In this order: a later stage outranks an earlier one, whatever order events come in."""

    QUEUED = "queued"  # accepted by a front door
    ENHANCING = "enhancing"  # the enhancer took it
    WAITING = "waiting"  # in its model's queue
    GENERATING = "generating"  # at the backend
    SENDING = "sending"  # the image is stored; it is on its way to the user
    DELIVERED = "delivered"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def ended(self) -> bool:
        return self in _ENDINGS


_ENDINGS = frozenset({JobState.DELIVERED, JobState.FAILED, JobState.CANCELLED})
STATE_ORDER = tuple(JobState)


class Owner(BaseModel):
    """Who asked, and where: the owner alone may cancel, and sees the job in their lists."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    channel: Literal["telegram", "api", "cli"]
    user: str = Field(
        description="the Telegram user id, or the API key's name; '' for `easel submit`"
    )
    chat_id: int | None = None
    status_message_id: int | None = None
    language_code: str | None = None

    @property
    def key(self) -> str:
        """The owner as a KV key token: `telegram_<user>` (n for a minus sign),
        `api_<key name>`, `cli`."""
        if self.channel == "cli":
            return "cli"
        if self.channel == "api":
            return f"api_{self.user}"  # a key's name is a key token already
        return f"telegram_{self.user.replace('-', 'n')}"


class JobRecord(BaseModel):
    """A function of the set of the job's events seen: `easel.jobs.fold` keeps it so, which
    makes the view the same whatever order, or how often, the events were applied."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    job_id: JobId
    model: ModelName
    owner: Owner
    original_prompt: str
    requested_at: datetime
    prompt: str | None = Field(default=None, description="the prompt the model was given")
    enhanced: bool | None = None
    parameters: dict[str, str | int | float] = Field(default_factory=dict)
    init_image: StoredImage | None = Field(
        default=None,
        description="the photo it started from",
        exclude_if=lambda image: image is None,  # absent: the release before reads it too
    )
    stages: dict[JobState, datetime] = Field(
        default_factory=dict, description="when each stage was first entered"
    )
    attempts: int = Field(default=0, description="backend attempts (deliveries to it)")
    error_code: ErrorCode | None = None
    file_id: str | None = Field(default=None, description="Telegram's, to send the photo again")
    events: tuple[int, ...] = Field(
        default=(), description="EASEL_HISTORY sequences of the job's events, ascending"
    )

    def context(self) -> JobContext:
        """The context the job's events carry, for an event about it from the view."""
        owner = self.owner
        requester: Requester | None = None
        if owner.channel == "api":
            requester = ApiRequester(key_name=owner.user)
        elif owner.chat_id is not None and owner.status_message_id is not None:
            requester = TelegramRequester(
                chat_id=owner.chat_id,
                user_id=int(owner.user),
                status_message_id=owner.status_message_id,
                language_code=owner.language_code,
            )
        return JobContext(
            original_prompt=self.original_prompt,
            requested_at=self.requested_at,
            requester=requester,
        )

    @property
    def state(self) -> JobState:
        """The ending, once there is one (the first, should two be recorded); else the
        furthest stage reached."""
        endings = [(at, s) for s, at in self.stages.items() if s.ended]
        if endings:
            return min(endings, key=lambda e: (e[0], STATE_ORDER.index(e[1])))[1]
        return max(self.stages, key=STATE_ORDER.index, default=JobState.QUEUED)
