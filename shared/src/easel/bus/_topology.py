"""Streams, consumers and buckets: the whole JetStream layout in one place."""

from __future__ import annotations

from dataclasses import dataclass

from nats.js.api import (
    AckPolicy,
    ConsumerConfig,
    DeliverPolicy,
    DiscardPolicy,
    RetentionPolicy,
    StorageType,
    StreamConfig,
    StreamSource,
)

from easel.settings import EaselSettings, ModelRegistry

REQUESTS = "EASEL_REQUESTS"
PROMPTS = "EASEL_PROMPTS"
RESULTS = "EASEL_RESULTS"
DLQ = "EASEL_DLQ"
ADVISORIES = "EASEL_ADVISORIES"
# Every job event of the work streams, sourced into one stream kept for HISTORY_DAYS: the
# log the job view is projected from and rebuilt from, and `easel job <id>` reads.
HISTORY = "EASEL_HISTORY"
WORK_STREAMS = (REQUESTS, PROMPTS, RESULTS)
# The bot's Bot API calls of the last second, counted for every replica (`easel.telegram`).
TELEGRAM_BUDGET = "EASEL_TELEGRAM_BUDGET"
TELEGRAM_BUDGET_PREFIX = "telegram.budget"
# How far each running job's render has come: only the latest per job, for minutes.
PROGRESS = "EASEL_PROGRESS"
PROGRESS_MAX_AGE_SECONDS = 600.0

ENHANCER = "enhancer"
NOTIFIER = "notifier"
PROJECTOR = "projector"
# The gateway's webhooks: API jobs' final views POSTed to their clients, tried this many
# times with backoff (a receiver down for minutes still gets it).
WEBHOOKS = "webhooks"
WEBHOOK_ATTEMPTS = 6
WEBHOOKS_ACK_WAIT = 30.0
# The notifier's progress edits: one replica shows each; a lost one is replaced by the next.
NOTIFIER_PROGRESS = "notifier-progress"
NOTIFIER_PROGRESS_ACK_WAIT = 10.0
# Leases are kept alive by in-progress acks every ack_wait / 3, so ack_wait only decides how
# soon a killed process's messages come back: short, but longer than a pause in the loop.
ENHANCER_ACK_WAIT = 30.0
NOTIFIER_ACK_WAIT = 15.0
PROJECTOR_ACK_WAIT = 30.0

IMAGES_BUCKET = "easel_images"
RATE_LIMIT_BUCKET = "easel_rate_limits"
JOB_CLAIMS_BUCKET = "easel_job_claims"
DELIVERIES_BUCKET = "easel_deliveries"
JOBS_BUCKET = "easel_jobs"  # the job view: written by the projector only
ENDINGS_BUCKET = "easel_job_endings"  # each job's one ending: the first claim wins
ACTIVE_JOBS_BUCKET = "easel_active_jobs"  # the gateway's fair share: each user's active jobs
SERVICE_TIMES_BUCKET = "easel_service_times"  # per model, the generation times' average
# The operator's controls: `user.<id>` (allowed or denied), `pause.<model>` (the reason).
CONTROLS_BUCKET = "easel_controls"
# API keys: their hashes and records (`easel.keys`), kept until revoked.
API_KEYS_BUCKET = "easel_api_keys"
# Idempotency-Key → the job it made, per API key, for a day (POST /v1/jobs).
IDEMPOTENCY_BUCKET = "easel_idempotency"
# Leases (`easel.runtime.Lease`): keys that expire with the bucket's TTL unless renewed,
# one per thing one replica at a time does (polling, queue positions). The name is from
# when the polling gateway held the only one; kept so a rolling upgrade shares it.
LEASE_BUCKET = "easel_gateway_lease"
LEASE_SECONDS = 15.0

EVENT_MAX_BYTES = 64 * 1024
DUPLICATE_WINDOW_SECONDS = 120.0
# Long enough to notice, fix and replay over a weekend; the letters are small.
DLQ_MAX_AGE_SECONDS = 7 * 86_400
# A letter is an event of up to EVENT_MAX_BYTES plus its headers and the Easel-Dlq-* ones.
DLQ_MAX_MSG_BYTES = 2 * EVENT_MAX_BYTES


_RESULTS = ("started", "generated", "delivered", "failed", "cancelled")
_NOTIFIED = [f"image.{event}.*" for event in _RESULTS if event != "delivered"]


def generator_consumer(model: str) -> str:
    """One durable per model: its `max_ack_pending` is the model's capacity."""
    return f"generator-{model}"


# The server says so when a message reaches max_deliver unsettled (its process died on the
# last delivery). Core NATS, sent once: EASEL_ADVISORIES keeps it until a replica handles it.
MAX_DELIVERIES_ADVISORY = "$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES"
ADVISORY_ACK_WAIT = 30.0


def advisory_subject(stream: str, durable: str) -> str:
    return f"{MAX_DELIVERIES_ADVISORY}.{stream}.{durable}"


def advisory_consumer(durable: str) -> str:
    """The durable that hands `durable`'s max-deliveries advisories to its service."""
    return f"advisories-{durable}"


def dlq_subject(consumer: str) -> str:
    """Where a consumer's dead letters go: one subject per consumer."""
    return f"dlq.{consumer}"


@dataclass(frozen=True)
class Topology:
    streams: tuple[StreamConfig, ...]
    consumers: tuple[tuple[str, ConsumerConfig], ...]


def _stream(name: str, subjects: list[str], settings: EaselSettings) -> StreamConfig:
    return StreamConfig(
        name=name,
        subjects=subjects,
        storage=StorageType.FILE,
        # Limits, not work-queue, retention: the notifier replays a model's queue
        # with its own ordered consumer to derive positions.
        retention=RetentionPolicy.LIMITS,
        discard=DiscardPolicy.OLD,
        max_age=settings.stream_max_age_seconds,
        max_bytes=settings.stream_max_bytes,
        max_msg_size=EVENT_MAX_BYTES,
        duplicate_window=DUPLICATE_WINDOW_SECONDS,
        num_replicas=settings.stream_replicas,
    )


def _history(settings: EaselSettings) -> StreamConfig:
    # No subjects of its own: it copies the work streams' messages, subjects and headers
    # kept, in the order they reach it (per source, the source's order).
    return StreamConfig(
        name=HISTORY,
        sources=[StreamSource(name=stream) for stream in WORK_STREAMS],
        storage=StorageType.FILE,
        retention=RetentionPolicy.LIMITS,
        discard=DiscardPolicy.OLD,
        max_age=settings.history_days * 86_400,
        max_bytes=settings.history_max_bytes,
        max_msg_size=EVENT_MAX_BYTES,
        duplicate_window=DUPLICATE_WINDOW_SECONDS,
        num_replicas=settings.stream_replicas,
    )


def _dlq(settings: EaselSettings) -> StreamConfig:
    # No consumer: letters are read and replayed by `easel dlq`.
    return StreamConfig(
        name=DLQ,
        subjects=["dlq.>"],
        storage=StorageType.FILE,
        retention=RetentionPolicy.LIMITS,
        discard=DiscardPolicy.OLD,
        max_age=DLQ_MAX_AGE_SECONDS,
        max_bytes=settings.stream_max_bytes,
        max_msg_size=DLQ_MAX_MSG_BYTES,
        duplicate_window=DUPLICATE_WINDOW_SECONDS,
        num_replicas=settings.stream_replicas,
    )


def _durable(
    name: str, subjects: str | list[str], ack_wait: float, pending: int, max_deliver: int
) -> ConsumerConfig:
    one = subjects if isinstance(subjects, str) else None
    return ConsumerConfig(
        durable_name=name,
        filter_subject=one,
        filter_subjects=None if one is not None else list(subjects),
        ack_policy=AckPolicy.EXPLICIT,
        deliver_policy=DeliverPolicy.ALL,
        ack_wait=ack_wait,
        max_ack_pending=pending,
        max_deliver=max_deliver,
        max_waiting=512,
    )


def _telegram_budget(settings: EaselSettings) -> StreamConfig:
    # Counters (`Nats-Incr`) of the bot's Bot API calls, per minute: each subject's last
    # message holds its value; a minute's counters are of no use three minutes on. On file
    # like every stream: a server restarted must still have it (readiness checks each).
    return StreamConfig(
        name=TELEGRAM_BUDGET,
        subjects=[f"{TELEGRAM_BUDGET_PREFIX}.>"],
        storage=StorageType.FILE,
        retention=RetentionPolicy.LIMITS,
        discard=DiscardPolicy.OLD,
        max_age=180.0,
        max_msgs_per_subject=1,
        allow_msg_counter=True,
        num_replicas=settings.stream_replicas,
    )


def _progress(settings: EaselSettings) -> StreamConfig:
    # One subject per job (`image.progress.<model>.<job>`), so the stream holds each job's
    # latest only; a render's progress is of no use once it is done.
    return StreamConfig(
        name=PROGRESS,
        subjects=["image.progress.>"],
        storage=StorageType.FILE,
        retention=RetentionPolicy.LIMITS,
        discard=DiscardPolicy.OLD,
        max_age=PROGRESS_MAX_AGE_SECONDS,
        max_msgs_per_subject=1,
        max_msg_size=EVENT_MAX_BYTES,
        duplicate_window=DUPLICATE_WINDOW_SECONDS,
        num_replicas=settings.stream_replicas,
    )


def topology(settings: EaselSettings, registry: ModelRegistry) -> Topology:
    deliver = settings.max_deliver
    work: list[tuple[str, str, str | list[str], float, int]] = [
        (REQUESTS, ENHANCER, "image.requested.>", ENHANCER_ACK_WAIT, 256),
        # Not image.delivered: the notifier's own word, for the job view.
        (RESULTS, NOTIFIER, _NOTIFIED, NOTIFIER_ACK_WAIT, 256),
        (HISTORY, PROJECTOR, ">", PROJECTOR_ACK_WAIT, 256),
        *(
            (
                PROMPTS,
                generator_consumer(spec.name),
                f"prompt.enhanced.{spec.name}",
                settings.generator_ack_wait_seconds,
                spec.capacity,
            )
            for spec in registry.models
        ),
    ]
    consumers = [
        (stream, _durable(name, subject, ack_wait, pending, deliver))
        for stream, name, subject, ack_wait, pending in work
    ]
    # The sender acks on its last attempt; one delivery more for a sender killed on it.
    consumers.append(
        (
            RESULTS,
            _durable(
                WEBHOOKS,
                [f"image.{event}.*" for event in ("generated", "failed", "cancelled")],
                WEBHOOKS_ACK_WAIT,
                256,
                WEBHOOK_ATTEMPTS + 1,
            ),
        )
    )
    consumers.append(
        (
            PROGRESS,
            _durable(NOTIFIER_PROGRESS, "image.progress.>", NOTIFIER_PROGRESS_ACK_WAIT, 256, 3),
        )
    )
    consumers += [
        (
            ADVISORIES,
            _durable(
                advisory_consumer(name),
                advisory_subject(stream, name),
                ADVISORY_ACK_WAIT,
                16,
                deliver,
            ),
        )
        for stream, name, *_ in work
    ]
    return Topology(
        streams=(
            _stream(REQUESTS, ["image.requested.*"], settings),
            _stream(PROMPTS, ["prompt.enhancing.*", "prompt.enhanced.*"], settings),
            _stream(RESULTS, [f"image.{event}.*" for event in _RESULTS], settings),
            _history(settings),
            _dlq(settings),
            _telegram_budget(settings),
            _progress(settings),
            # An advisory is of no use once the message it names is gone: the same limits.
            _stream(
                ADVISORIES,
                [advisory_subject(s, "*") for s in (*WORK_STREAMS, HISTORY)],
                settings,
            ),
        ),
        consumers=tuple(consumers),
    )
