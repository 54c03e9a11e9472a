"""Create or update every stream, consumer and bucket; safe to run from every replica at once."""

from __future__ import annotations

import structlog
from nats.js import JetStreamContext
from nats.js.api import KeyValueConfig, ObjectStoreConfig, StorageType
from nats.js.errors import BadRequestError
from nats.js.kv import KeyValue
from nats.js.object_store import ObjectStore

from easel.bus._topology import (
    ACTIVE_JOBS_BUCKET,
    API_KEYS_BUCKET,
    CONTROLS_BUCKET,
    DELIVERIES_BUCKET,
    ENDINGS_BUCKET,
    IDEMPOTENCY_BUCKET,
    IMAGES_BUCKET,
    JOB_CLAIMS_BUCKET,
    JOBS_BUCKET,
    LEASE_BUCKET,
    LEASE_SECONDS,
    RATE_LIMIT_BUCKET,
    SERVICE_TIMES_BUCKET,
    topology,
)
from easel.settings import EaselSettings, ModelRegistry

log = structlog.get_logger("easel.bus")

_STREAM_NAME_IN_USE = 10058
_CONSUMER_ALREADY_EXISTS = 10148


async def provision(js: JetStreamContext, settings: EaselSettings, registry: ModelRegistry) -> None:
    layout = topology(settings, registry)
    for stream in layout.streams:
        try:
            await js.add_stream(stream)
        except BadRequestError as error:
            if error.err_code != _STREAM_NAME_IN_USE:
                raise
            await js.update_stream(stream)
    for stream_name, consumer in layout.consumers:
        try:
            await js.add_consumer(stream_name, consumer)
        except BadRequestError as error:
            # Fields the server cannot change in place (e.g. the filter) need a new durable.
            if error.err_code != _CONSUMER_ALREADY_EXISTS:
                raise
            log.warning(
                "bus.consumer_config_conflict", consumer=consumer.durable_name, error=str(error)
            )
    for bucket, ttl in (
        # Every window is at most a day long (RATE_LIMIT_WINDOW_SECONDS ≤ 86,400), so a key
        # untouched for a day holds no request that still counts.
        (RATE_LIMIT_BUCKET, 86_400.0),
        (JOB_CLAIMS_BUCKET, settings.stream_max_age_seconds),
        (DELIVERIES_BUCKET, settings.stream_max_age_seconds),
        (JOBS_BUCKET, settings.history_days * 86_400),
        (ENDINGS_BUCKET, settings.stream_max_age_seconds),
        (ACTIVE_JOBS_BUCKET, settings.stream_max_age_seconds),
        (SERVICE_TIMES_BUCKET, None),
        (CONTROLS_BUCKET, None),  # kept until an admin changes it
        (API_KEYS_BUCKET, None),  # kept until revoked
        (IDEMPOTENCY_BUCKET, 86_400.0),  # a retry comes within minutes; a day is plenty
        (LEASE_BUCKET, LEASE_SECONDS),
    ):
        await _kv(js, bucket, ttl, settings.stream_replicas)
    await images_store(js, settings)
    log.info("bus.provisioned", streams=len(layout.streams), consumers=len(layout.consumers))


async def _kv(js: JetStreamContext, bucket: str, ttl: float | None, replicas: int) -> KeyValue:
    config = KeyValueConfig(
        bucket=bucket, ttl=ttl, history=1, storage=StorageType.FILE, replicas=replicas
    )
    try:
        return await js.create_key_value(config)
    except BadRequestError as error:
        if error.err_code != _STREAM_NAME_IN_USE:
            raise
    kv = await js.key_value(bucket)
    # An existing bucket keeps its TTL (a test may shorten the lease's), but one made
    # without any, by a version before its TTL was set, gets it now.
    if ttl is not None and not (await kv.status()).ttl:
        stream = await js.stream_info(f"KV_{bucket}")
        stream.config.max_age = ttl
        # The server refuses a duplicate window longer than the max age.
        stream.config.duplicate_window = min(stream.config.duplicate_window or ttl, ttl)
        await js.update_stream(stream.config)
        log.info("bus.bucket_ttl_set", bucket=bucket, ttl=ttl)
    return kv


async def images_store(js: JetStreamContext, settings: EaselSettings) -> ObjectStore:
    config = ObjectStoreConfig(
        bucket=IMAGES_BUCKET,
        ttl=settings.image_ttl_seconds,
        storage=StorageType.FILE,
        replicas=settings.stream_replicas,
    )
    try:
        return await js.create_object_store(IMAGES_BUCKET, config=config)
    except BadRequestError as error:
        if error.err_code != _STREAM_NAME_IN_USE:
            raise
        return await js.object_store(IMAGES_BUCKET)
