"""The gateway's own metrics; the shared ones (events published …) live in easel.telemetry."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

REQUEST_OUTCOMES = (
    "accepted",
    "rejected_unknown_model",
    "rejected_empty_prompt",
    "rejected_prompt_too_long",
    "rejected_rate_limited",
    "rejected_duplicate",
    "failed_bus",  # NATS could not claim, rate-limit or publish: the user is told to retry
    "failed_telegram",  # the status message could not be sent, so nothing was queued
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
