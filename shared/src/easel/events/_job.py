"""What every event about a job carries along: who asked (a Telegram user, or an API
key), and when."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any, ClassVar, Literal, Self

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, model_validator

from easel.events._envelope import Event, KeyName
from easel.events._limits import MAX_PROMPT_CHARS
from easel.events._stored import StoredImage


class TelegramRequester(BaseModel):
    """Where to report: the chat, the user, and the status message to edit in place."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["telegram"] = "telegram"
    chat_id: int
    user_id: int
    status_message_id: int = Field(description="the message edited in place with the status")
    language_code: str | None = Field(default=None, max_length=16)


class ApiRequester(BaseModel):
    """A client of the HTTP API, known by its key's name: it fetches or awaits the result
    itself, so no service relays it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["api"] = "api"
    key_name: KeyName = Field(description="the name the key was created under")
    webhook_url: str | None = Field(
        default=None, max_length=2048, description="POSTed the final view, signed"
    )


def _kind(value: Any) -> str:
    # Version 1 events have no tag: they all came from Telegram.
    if isinstance(value, dict):
        return str(value.get("kind", "telegram"))
    return str(getattr(value, "kind", "telegram"))


Requester = Annotated[
    Annotated[TelegramRequester, Tag("telegram")] | Annotated[ApiRequester, Tag("api")],
    Discriminator(_kind),
]


SEED_MAX = 2**32 - 1  # what every backend takes
MAX_NEGATIVE_CHARS = 500


class Params(BaseModel):
    """How to render, beyond the prompt: only what the model's backend can take; what it
    cannot was dropped at the front door and is named in `ignored`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    size: str | None = Field(
        default=None, pattern=r"^[1-9]\d{1,4}x[1-9]\d{1,4}$", description="WxH; else the model's"
    )
    seed: int | None = Field(default=None, ge=0, le=SEED_MAX, description="else a random one")
    negative_prompt: str | None = Field(default=None, min_length=1, max_length=MAX_NEGATIVE_CHARS)
    steps: int | None = Field(default=None, ge=1, le=150)
    init_image: StoredImage | None = Field(
        default=None, description="the photo to start from (version 4); else from noise"
    )
    strength: float | None = Field(
        default=None, ge=0.0, le=1.0, description="how far from the photo (version 4)"
    )
    ignored: tuple[str, ...] = Field(
        default=(), description="what the user gave that the model cannot take, e.g. `--seed`"
    )

    def given(self) -> dict[str, str | int | float]:
        """The parameters set, by name (size, seed, negative_prompt, steps, strength); the
        photo to start from is `init_image`, not one of them."""
        values: dict[str, str | int | float | None] = {
            "size": self.size,
            "seed": self.seed,
            "negative_prompt": self.negative_prompt,
            "steps": self.steps,
            "strength": self.strength,
        }
        return {name: value for name, value in values.items() if value is not None}


class JobContext(BaseModel):
    """Carried unchanged from request to result; `requester` is None for `easel submit`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    original_prompt: str = Field(
        min_length=1, max_length=MAX_PROMPT_CHARS, description="as validated"
    )
    requested_at: datetime = Field(description="when the gateway accepted it (end-to-end clock)")
    requester: Requester | None = Field(
        default=None, description="Telegram or an API key; None for `easel submit`"
    )
    params: Params = Field(
        default_factory=Params,
        description="size, seed, … (version 3)",
        exclude_if=lambda params: params == Params(),  # absent when none: as version 2 wrote
    )

    def deadline(self, limit_seconds: float) -> datetime:
        """When a job that has not reached its backend is failed instead
        (JOB_DEADLINE_SECONDS after the request)."""
        return self.requested_at + timedelta(seconds=limit_seconds)


class JobEvent(Event):
    """An event about one job: the job's context rides along from request to result."""

    # The first version that has this event type at all.
    since_version: ClassVar[int] = 2

    job: JobContext

    @model_validator(mode="before")
    @classmethod
    def _lowest_version(cls, data: Any) -> Any:
        """A new event is written in the lowest version that can carry it: 4 only for a
        job that starts from a photo or an image rendered from an unenhanced prompt, 3 for
        other parameters, a reported seed, or an event type version 3 brought. The
        consumers of the release before still read the others during a rolling upgrade."""
        if not isinstance(data, dict) or "schema_version" in data:
            return data  # read from the wire, or given: as it says
        return {**data, "schema_version": max(cls._version_for(data), cls.since_version)}

    @classmethod
    def _version_for(cls, data: dict[str, Any]) -> int:
        """The version the event's fields need (0: any); a subclass adds its own."""
        job = data.get("job")
        raw = job.get("params") if isinstance(job, dict) else getattr(job, "params", None)
        if isinstance(raw, Params):
            raw = raw.model_dump(exclude_defaults=True)
        params: dict[str, Any] = raw if isinstance(raw, dict) else {}
        if params.get("init_image") is not None or params.get("strength") is not None:
            return 4
        return 3 if params or data.get("seed") is not None else 0

    @classmethod
    def after(cls, source: JobEvent, **fields: Any) -> Self:
        """The event of this type that follows `source` in the same job."""
        return cls(job_id=source.job_id, model=source.model, job=source.job, **fields)
