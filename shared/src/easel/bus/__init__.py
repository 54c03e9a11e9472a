"""JetStream for Easel: layout, provisioning, typed publish and the one consume loop."""

from ._connect import connect
from ._consume import ConsumerLoop, Handler, retry_delay
from ._decode import decoder
from ._outcome import ACK, Ack, Delivery, Nak, Outcome, Term
from ._provision import images_store, provision
from ._publish import publish
from ._topology import (
    DELIVERIES_BUCKET,
    ENHANCER,
    IMAGES_BUCKET,
    JOB_CLAIMS_BUCKET,
    NOTIFIER,
    PROMPTS,
    RATE_LIMIT_BUCKET,
    REQUESTS,
    RESULTS,
    generator_consumer,
    topology,
)

__all__ = [
    "ACK",
    "DELIVERIES_BUCKET",
    "ENHANCER",
    "IMAGES_BUCKET",
    "JOB_CLAIMS_BUCKET",
    "NOTIFIER",
    "PROMPTS",
    "RATE_LIMIT_BUCKET",
    "REQUESTS",
    "RESULTS",
    "Ack",
    "ConsumerLoop",
    "Delivery",
    "Handler",
    "Nak",
    "Outcome",
    "Term",
    "connect",
    "decoder",
    "generator_consumer",
    "images_store",
    "provision",
    "publish",
    "retry_delay",
    "topology",
]
