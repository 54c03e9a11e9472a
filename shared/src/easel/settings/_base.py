"""Environment-only configuration, validated at start with one clear line per problem."""

from __future__ import annotations

import sys
from typing import Literal, NoReturn, TypeVar

from dotenv import load_dotenv
from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from easel.settings._models import ModelRegistry, load_registry

S = TypeVar("S", bound="EaselSettings")


class EaselSettings(BaseSettings):
    """What every service reads. Services subclass it with their own variables."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    nats_url: str = "nats://127.0.0.1:4222"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["json", "console"] = "json"
    metrics_port: int = Field(default=9000, ge=0, le=65535)
    service_name: str = "easel"

    # JetStream topology: every service provisions it at start, so all must agree.
    stream_replicas: int = Field(default=1, ge=1, le=5)
    stream_max_age_seconds: float = Field(default=86_400, gt=0)
    stream_max_bytes: int = Field(default=1 << 30, gt=0)
    image_ttl_seconds: float = Field(default=3_600, gt=0)
    # The job history (EASEL_HISTORY, the job view): how long a job's events and record stay.
    history_days: float = Field(default=30, gt=0, le=3_650)
    history_max_bytes: int = Field(default=4 << 30, gt=0)
    generator_ack_wait_seconds: float = Field(default=30, gt=0)
    max_deliver: int = Field(default=10, ge=1)
    # From job.requested_at: a job that has not reached its backend by then is failed.
    job_deadline_seconds: float = Field(default=600, gt=0)


def load_settings(cls: type[S], program: str) -> tuple[S, ModelRegistry]:
    """Settings and model registry from the environment, or exit 2 naming each bad variable."""
    _read_dotenv()
    try:
        return cls(), load_registry()
    except (ValidationError, ValueError) as error:
        _exit(program, error)


def load_settings_only(cls: type[S], program: str) -> S:
    """The settings of a command that needs no model (e.g. `easel dlq`)."""
    _read_dotenv()
    try:
        return cls()
    except ValidationError as error:
        _exit(program, error)


def _read_dotenv() -> None:
    """The one read of `.env`, at start: its variables join the environment, below the ones
    already set, so the settings and the model registry see the same values."""
    load_dotenv(".env", override=False)


def _exit(program: str, error: ValidationError | ValueError) -> NoReturn:
    for line in describe_error(error):
        print(f"{program}: configuration error: {line}", file=sys.stderr)
    raise SystemExit(2) from None


def describe_error(error: ValidationError | ValueError) -> list[str]:
    if not isinstance(error, ValidationError):
        return [str(error)]
    lines = []
    for item in error.errors(include_url=False):
        variable = "_".join(str(part) for part in item["loc"]).upper() or "?"
        lines.append(f"{variable}: {item['msg']}")
    return lines
