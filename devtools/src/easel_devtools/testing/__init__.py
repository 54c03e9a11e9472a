"""Helpers for Easel's tests: events to publish, observers of what crosses the bus, a
service's `serve()` run in-process, and reads of the server's and Prometheus' state.

Every wait here is on an event (a message, a condition), with a timeout."""

from easel_devtools.testing.consumers import holding, settled
from easel_devtools.testing.events import (
    EVENT_OF_FAMILY,
    REGISTRY,
    enhanced,
    failed,
    generated,
    job,
    journey,
    models,
    requested,
    started,
)
from easel_devtools.testing.fakes import MemoryEndings, MemoryServiceTimes
from easel_devtools.testing.metrics import dead_letters, sample
from easel_devtools.testing.service import serving
from easel_devtools.testing.watch import Collector, Letters, Results, Seen, Settlements

__all__ = [
    "EVENT_OF_FAMILY",
    "REGISTRY",
    "Collector",
    "Letters",
    "MemoryEndings",
    "MemoryServiceTimes",
    "Results",
    "Seen",
    "Settlements",
    "dead_letters",
    "enhanced",
    "failed",
    "generated",
    "holding",
    "job",
    "journey",
    "models",
    "requested",
    "sample",
    "serving",
    "settled",
    "started",
]
