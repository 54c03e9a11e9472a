"""The envelope every event carries, and the subject each event is published on."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

# 2: the requester is a tagged union (Telegram or an API key). Version 1 events (all from
# Telegram, without the tag) still decode: consumers upgrade before front doors.
# 3: a job carries its generation parameters (size, seed, …); older jobs have none. A new
# event is written in the lowest version that carries it (`JobEvent`), so an event without
# what 3 added still reads as 2 to the release before.
# 4: a job may start from a photo (`Params.init_image`, `Params.strength`, the failure
# `photo_unavailable`); an image says when its prompt went as typed (`enhanced` false).
# As ever, consumers upgrade before producers: the notifier before the generator.
SCHEMA_VERSION: Literal[4] = 4

JobId = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_\-]+$")]
# An API key's name: `easel keys create NAME`; a KV key token and a job owner's key.
KeyName = Annotated[str, Field(pattern=r"^[A-Za-z0-9_\-]{1,64}$")]
# The model registry's names: subject tokens and KV keys, so lower case and short.
ModelName = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_\-]{0,31}$")]


def _now() -> datetime:
    return datetime.now(UTC)


def _event_id() -> str:
    return uuid.uuid4().hex


class Event(BaseModel):
    """Envelope: identity, type and version of one fact about one job.

    Subclasses set `event_type` (a Literal) and `subject_prefix`; the model name
    completes the subject, so consumers can filter one model's events.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    subject_prefix: ClassVar[str]
    # Who publishes and who consumes: the event catalogue (docs/events.md) is built from these.
    publisher: ClassVar[str]
    consumers: ClassVar[tuple[str, ...]]

    event_id: str = Field(default_factory=_event_id, description="unique per event")
    job_id: JobId = Field(
        description="`tg_<chat>_<message>` from Telegram, `cli_<hex>` from `easel submit`"
    )
    event_type: str
    schema_version: Literal[1, 2, 3, 4] = SCHEMA_VERSION
    occurred_at: datetime = Field(default_factory=_now, description="UTC")
    model: ModelName = Field(description="a name from the model registry")

    @property
    def subject(self) -> str:
        return f"{self.subject_prefix}.{self.model}"

    @property
    def msg_id(self) -> str:
        """`Nats-Msg-Id`: one per job and event type, so a retried publish is dropped."""
        return f"{self.event_type}:{self.job_id}"
