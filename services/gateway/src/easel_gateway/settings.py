"""The gateway's environment: the bot token, how updates arrive, the per-user rate limit,
the HTTP API."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, SecretStr, ValidationInfo, field_validator
from pydantic_settings import NoDecode

from easel.controls import Access, BlocklistSettings
from easel.settings import EaselSettings
from easel.telegram import TelegramSettings

# What Telegram accepts as a webhook's secret_token: 1-256 characters of this alphabet.
_WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")


class Settings(EaselSettings, TelegramSettings, BlocklistSettings):
    metrics_port: int = Field(default=9001, ge=0, le=65535)

    # The operator's controls: admins (Telegram user ids, comma-separated) may /allow,
    # /deny, /pause, /resume and see /stats; ACCESS=allowlist admits only allowed users.
    access: Access = Access.OPEN
    admin_user_ids: Annotated[frozenset[int], NoDecode] = frozenset()

    # polling: no public URL needed, but one poller at a time (a lease in NATS KV picks it);
    # webhook: Telegram POSTs updates, so any number of replicas can sit behind a Service;
    # api: the HTTP API alone, no Telegram updates (replicas scaled for API traffic).
    gateway_mode: Literal["polling", "webhook", "api"] = "polling"
    rate_limit_requests: int = Field(default=10, ge=1, le=10_000)
    rate_limit_window_seconds: float = Field(default=60, gt=0, le=86_400)
    # A claim still "pending" this long after its last step belongs to a replica that died
    # mid-request; the redelivered update takes it over. Far above a normal request (<1 s).
    claim_stale_seconds: float = Field(default=30, gt=0, le=3_600)
    # A fair share: a user's requests in progress at once, across every replica.
    max_active_jobs_per_user: int = Field(default=3, ge=1, le=1_000)
    # The job view's projector, hosted here: events folded at once.
    projector_concurrency: int = Field(default=8, ge=1, le=256)

    # The HTTP API (OpenAI-compatible images, /v1): 0 turns it off.
    api_host: str = "0.0.0.0"
    api_port: int = Field(default=8000, ge=0, le=65535)
    # Static keys, `name:key,name:key` (a Kubernetes Secret); `easel keys create` makes more.
    api_keys: SecretStr | None = None
    # How long POST /v1/images/generations waits for its images before answering 504.
    api_sync_wait_seconds: float = Field(default=300, gt=0, le=3_600)
    # A comment line this often on an idle SSE stream, so proxies keep it open.
    api_keepalive_seconds: float = Field(default=15, gt=0, le=300)
    # Webhooks to loopback, link-local and private addresses: refused unless this is set.
    webhook_allow_private: bool = False

    webhook_host: str = "0.0.0.0"
    webhook_port: int = Field(default=8080, ge=1, le=65535)
    webhook_path: str = Field(default="/telegram/webhook", pattern=r"^/[A-Za-z0-9._~/-]*$")
    # The public base URL (scheme and host, maybe a prefix); WEBHOOK_PATH is appended.
    webhook_url: str | None = Field(
        default=None, pattern=r"^https?://[^/?#\s]+(/[^?#\s]*)?$", validate_default=True
    )
    webhook_secret: SecretStr | None = Field(default=None, validate_default=True)

    @property
    def webhook_endpoint(self) -> str:
        """The URL Telegram POSTs updates to."""
        assert self.webhook_url is not None, "only in webhook mode"
        return self.webhook_url.rstrip("/") + self.webhook_path

    @field_validator("admin_user_ids", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            try:
                return frozenset(int(part) for part in value.split(",") if part.strip())
            except ValueError:
                raise ValueError("Telegram user ids, comma-separated, e.g. 12345,67890") from None
        return value

    @field_validator("api_port")
    @classmethod
    def _serving_something(cls, port: int, info: ValidationInfo) -> int:
        if port == 0 and info.data.get("gateway_mode") == "api":
            raise ValueError("GATEWAY_MODE=api serves the HTTP API only: give it a port")
        return port

    @field_validator("webhook_url", "webhook_secret")
    @classmethod
    def _required_in_webhook_mode(cls, value: object, info: ValidationInfo) -> object:
        if value is None and info.data.get("gateway_mode") == "webhook":
            raise ValueError("required when GATEWAY_MODE=webhook")
        return value

    @field_validator("webhook_url")
    @classmethod
    def _webhook_base_url(cls, url: str | None, info: ValidationInfo) -> str | None:
        if url is None:
            return None
        path = info.data.get("webhook_path") or ""
        if path.rstrip("/") and url.rstrip("/").endswith(path.rstrip("/")):
            # Appending would register …/telegram/webhook/telegram/webhook, which 404s.
            raise ValueError(f"give the public base URL; WEBHOOK_PATH ({path}) is appended to it")
        return url

    @field_validator("webhook_secret")
    @classmethod
    def _webhook_secret(cls, secret: SecretStr | None) -> SecretStr | None:
        if secret is not None and not _WEBHOOK_SECRET.fullmatch(secret.get_secret_value()):
            raise ValueError("1-256 characters of A-Z, a-z, 0-9, _ and - (Telegram's rule)")
        return secret
