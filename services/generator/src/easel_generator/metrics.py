"""The generator's own metrics (the shared ones come from easel.telemetry.metrics)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

GENERATION_DURATION = Histogram(
    "easel_generator_generation_duration_seconds",
    "Backend time of one job, retries and backoff included.",
    ["model", "outcome"],
    buckets=(1, 2, 4, 6, 8, 10, 15, 20, 30, 45, 60, 90, 120, 180, 300),
)
JOBS = Counter(
    "easel_generator_jobs_total",
    "Jobs finished, by outcome (generated or failed) and error code ('' when generated).",
    ["model", "outcome", "error_code"],
)
BACKEND_RETRIES = Counter(
    "easel_generator_backend_retries_total",
    "Backend attempts after the first one of a job.",
    ["model"],
)
BACKEND_RESPONSES = Counter(
    "easel_generator_backend_responses_total",
    "Backend attempts by result: 2xx, 4xx, 5xx (other classes as such), network, timeout.",
    ["model", "status_class"],
)
IN_FLIGHT = Gauge(
    "easel_generator_in_flight",
    "Jobs waiting on the backend right now in this process.",
    ["model"],
)
QUEUE_DEPTH = Gauge(
    "easel_queue_depth",
    "Jobs in a model's queue, waiting or running: the consumer's num_pending + num_ack_pending.",
    ["model"],
)
QUEUE_OLDEST_AGE = Gauge(
    "easel_queue_oldest_age_seconds",
    "How long the oldest job still waiting for a model's backend has waited (0 when none).",
    ["model"],
)
MODEL_PAUSED = Gauge(
    "easel_model_paused",
    "1 while an operator has paused the model (its jobs wait, in order), else 0.",
    ["model"],
)
CIRCUIT_OPEN = Gauge(
    "easel_circuit_open",
    "1 while a model's circuit breaker is open or half-open (backend considered down), else 0.",
    ["model"],
)
