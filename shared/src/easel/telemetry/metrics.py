"""Metrics every service exports; services add their own beside these."""

from __future__ import annotations

from prometheus_client import Counter

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
