"""The gateway's own metrics; the shared ones (events published …) live in easel.telemetry."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

REQUEST_OUTCOMES = (
    "accepted",
    "rejected_unknown_model",
    "rejected_empty_prompt",
    "rejected_prompt_too_long",
    "rejected_rate_limited",
    "rejected_duplicate",
    "rejected_too_many_active",  # the user has MAX_ACTIVE_JOBS_PER_USER in progress already
    "rejected_blocked",  # the prompt matched the operator's BLOCKLIST_FILE
    "rejected_not_allowed",  # ACCESS=allowlist and not allowed, or denied by an admin
    "rejected_bad_parameter",  # --size, --seed … out of range, or not the model's
    "rejected_photo_not_taken",  # a photo to start from, for a model that cannot
    "rejected_photo_needed",  # a model that starts from a photo, without one
    "failed_bus",  # NATS could not claim, rate-limit or publish: the user is told to retry
    "failed_telegram",  # the status message could not be sent, so nothing was queued
    "failed_photo",  # the photo to start from could not be fetched from Telegram
    "handed_over",  # this handler stalled and a redelivery took its claim over
)

REQUESTS = Counter("easel_gateway_requests_total", "Image commands by outcome.", ["outcome"])
for _outcome in REQUEST_OUTCOMES:
    REQUESTS.labels(_outcome)  # exported at 0 from the start, so rates work at once

UPDATES = Counter(
    "easel_gateway_updates_total",
    "Telegram messages seen, by chat type and handling outcome (handled, ignored, error).",
    ["chat_type", "outcome"],
)
UPDATE_SECONDS = Histogram(
    "easel_gateway_update_duration_seconds",
    "Time to handle one Telegram message, Telegram and NATS calls included.",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
TELEGRAM_RETRIES = Counter(
    "easel_gateway_telegram_retries_total",
    "Bot API calls repeated after a 429 (flood control), by method.",
    ["method"],
)
CLAIM_TAKEOVERS = Counter(
    "easel_gateway_claim_takeovers_total",
    "Job claims taken over from a handler that went silent (a replica died mid-request).",
)
WEBHOOK_UNAUTHORIZED = Counter(
    "easel_gateway_webhook_unauthorized_total",
    "Webhook requests refused with 401: missing or wrong secret token.",
)
POLLING_LEASE_HELD = Gauge(
    "easel_gateway_polling_lease_held",
    "1 while this replica holds the polling lease (polling mode), else 0.",
)
API_REQUESTS = Counter(
    "easel_gateway_api_requests_total",
    "HTTP API requests answered, by route and status.",
    ["route", "status"],
)
WEBHOOKS = Counter(
    "easel_gateway_webhooks_total",
    "API jobs' webhooks by outcome: delivered, retried (a try failed), failed (every try"
    " did), refused (a private address, or the key revoked).",
    ["outcome"],
)
for _outcome in ("delivered", "retried", "failed", "refused"):
    WEBHOOKS.labels(_outcome)
