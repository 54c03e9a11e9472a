"""JetStream for Easel: layout, provisioning, typed publish, the one consume loop, dead letters."""

from easel.bus._advisory import max_deliveries_watch
from easel.bus._connect import connect
from easel.bus._consume import ConsumerLoop, GiveUp, Handler, retry_delay
from easel.bus._deadletter import DlqHeader, Letter, dead_letter
from easel.bus._decode import decoder, rejection
from easel.bus._outcome import ACK, Ack, Delivery, Nak, Outcome, Reason, Term
from easel.bus._provision import images_store, provision
from easel.bus._publish import Publish, publish, publisher, retry_transient, retry_unanswered
from easel.bus._topology import (
    ADVISORIES,
    DELIVERIES_BUCKET,
    DLQ,
    ENHANCER,
    ENHANCER_ACK_WAIT,
    GATEWAY_LEASE_BUCKET,
    GATEWAY_LEASE_SECONDS,
    IMAGES_BUCKET,
    JOB_CLAIMS_BUCKET,
    NOTIFIER,
    NOTIFIER_ACK_WAIT,
    PROMPTS,
    RATE_LIMIT_BUCKET,
    REQUESTS,
    RESULTS,
    advisory_consumer,
    advisory_subject,
    generator_consumer,
    topology,
)

__all__ = [
    "ACK",
    "ADVISORIES",
    "DELIVERIES_BUCKET",
    "DLQ",
    "ENHANCER",
    "ENHANCER_ACK_WAIT",
    "GATEWAY_LEASE_BUCKET",
    "GATEWAY_LEASE_SECONDS",
    "IMAGES_BUCKET",
    "JOB_CLAIMS_BUCKET",
    "NOTIFIER",
    "NOTIFIER_ACK_WAIT",
    "PROMPTS",
    "RATE_LIMIT_BUCKET",
    "REQUESTS",
    "RESULTS",
    "Ack",
    "ConsumerLoop",
    "Delivery",
    "DlqHeader",
    "GiveUp",
    "Handler",
    "Letter",
    "Nak",
    "Outcome",
    "Publish",
    "Reason",
    "Term",
    "advisory_consumer",
    "advisory_subject",
    "connect",
    "dead_letter",
    "decoder",
    "generator_consumer",
    "images_store",
    "max_deliveries_watch",
    "provision",
    "publish",
    "publisher",
    "rejection",
    "retry_delay",
    "retry_transient",
    "retry_unanswered",
    "topology",
]
