"""Metrics every service exports; services add their own beside these."""

from __future__ import annotations

from prometheus_client import Counter, disable_created_metrics

# prometheus_client adds a `<name>_created` gauge beside every counter and histogram
# series: twice the series, and families the metric list does not name. Nothing reads them.
disable_created_metrics()  # type: ignore[no-untyped-call]  # unannotated upstream

EVENTS_PUBLISHED = Counter(
    "easel_events_published_total", "Events published to JetStream.", ["event_type", "model"]
)
EVENTS_CONSUMED = Counter(
    "easel_events_consumed_total",
    "Messages settled by a consumer, by outcome (ack, nak, term).",
    ["consumer", "outcome"],
)
REDELIVERIES = Counter(
    "easel_redeliveries_total", "Messages received more than once.", ["consumer"]
)
DEAD_LETTERS = Counter(
    "easel_dead_letters_total",
    "Messages given up and stored in the EASEL_DLQ stream, by consumer and reason.",
    ["consumer", "reason"],
)
TELEGRAM_BUDGET_REFUSALS = Counter(
    "easel_telegram_budget_refusals_total",
    "Bot API calls the bot's shared budget held back to ask again, by lane and by scope"
    " (bot: the bot-wide calls per second; chat: one chat's pace).",
    ["lane", "scope"],
)
TELEGRAM_BUDGET_UNAVAILABLE = Counter(
    "easel_telegram_budget_unavailable_total",
    "Bot API calls that went on their process's own pacing: NATS did not answer for the"
    " bot's shared budget.",
)
