"""What every event about a job carries along: who asked, and when."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field

from easel.events._envelope import Event
from easel.events._limits import MAX_PROMPT_CHARS


class TelegramRequester(BaseModel):
    """Where to report: the chat, the user, and the status message to edit in place."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    chat_id: int
    user_id: int
    status_message_id: int = Field(description="the message edited in place with the status")
    language_code: str | None = Field(default=None, max_length=16)


class JobContext(BaseModel):
    """Carried unchanged from request to result; `requester` is None for `easel submit`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    original_prompt: str = Field(
        min_length=1, max_length=MAX_PROMPT_CHARS, description="as validated"
    )
    requested_at: datetime = Field(description="when the gateway accepted it (end-to-end clock)")
    requester: TelegramRequester | None = Field(default=None, description="None: not from Telegram")

    def deadline(self, limit_seconds: float) -> datetime:
        """When a job that has not reached its backend is failed instead
        (JOB_DEADLINE_SECONDS after the request)."""
        return self.requested_at + timedelta(seconds=limit_seconds)


class JobEvent(Event):
    """An event about one job: the job's context rides along from request to result."""

    job: JobContext

    @classmethod
    def after(cls, source: JobEvent, **fields: Any) -> Self:
        """The event of this type that follows `source` in the same job."""
        return cls(job_id=source.job_id, model=source.model, job=source.job, **fields)
