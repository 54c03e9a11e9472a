"""Prometheus samples of this process (services run in-process share its registry)."""

from __future__ import annotations

from prometheus_client import REGISTRY


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def dead_letters(consumer: str, reason: str) -> float:
    return sample("easel_dead_letters_total", consumer=consumer, reason=reason)
