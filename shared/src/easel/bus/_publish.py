"""Typed publish: JSON body, `Nats-Msg-Id` for dedupe, retried through a server restart."""

from __future__ import annotations

import nats.errors
import stamina
from nats.js import JetStreamContext
from nats.js.api import PubAck
from nats.js.errors import NoStreamResponseError

from easel.events import Event
from easel.telemetry import metrics

# The request reached no server (JetStream restarting, say): nothing happened, so it is
# safe to repeat anything. nats-py raises NoStreamResponseError for a publish.
UNANSWERED = (nats.errors.NoRespondersError, NoStreamResponseError)
_TRANSIENT = (nats.errors.TimeoutError, *UNANSWERED)  # Nats-Msg-Id drops a repeated publish


@stamina.retry(on=_TRANSIENT, attempts=8, wait_initial=0.1, wait_max=2.0, timeout=20.0)
async def publish(js: JetStreamContext, event: Event) -> PubAck:
    ack = await js.publish(
        event.subject,
        event.model_dump_json().encode(),
        headers={"Nats-Msg-Id": event.msg_id},
    )
    metrics.EVENTS_PUBLISHED.labels(event.event_type, event.model).inc()
    return ack
