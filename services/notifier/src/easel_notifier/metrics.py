"""The notifier's own metrics; labels stay bounded (model, outcome, method, error kind)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

DELIVERIES = Counter(
    "easel_notifier_deliveries_total",
    "Results handled, by outcome (delivered, duplicate, expired, corrupt, failed, rejected).",
    ["model", "outcome"],
)
END_TO_END = Histogram(
    "easel_notifier_end_to_end_seconds",
    "From the user's request to Telegram accepting the photo.",
    ["model"],
    buckets=(1, 2, 5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 300, 600, 900, 1200, 1800),
)
QUEUE_WAIT = Histogram(
    "easel_notifier_queue_wait_seconds",
    "Time a delivered job waited in its model's queue for a backend slot.",
    ["model"],
    buckets=(0.01, 0.1, 0.5, 1, 5, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600),
)
TELEGRAM_CALLS = Counter(
    "easel_notifier_telegram_calls_total", "Bot API calls made, by method.", ["method"]
)
TELEGRAM_ERRORS = Counter(
    "easel_notifier_telegram_errors_total",
    "Bot API calls that did not simply succeed, by method and kind "
    "(retry_after, not_modified, gone, bad_request, forbidden, network, server, other).",
    ["method", "error"],
)
OUTBOX_PENDING = Gauge(
    "easel_notifier_outbox_pending", "Calls waiting in the outbox, by priority.", ["priority"]
)
POSITIONS_LEADER = Gauge(
    "easel_notifier_positions_leader",
    "1 while this replica holds the lease to edit queue positions (one replica does), else 0.",
)
