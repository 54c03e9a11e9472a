"""Typed publish: JSON body, `Nats-Msg-Id` for dedupe, retried through a server restart."""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import ParamSpec, TypeVar

import nats.errors
import stamina
from nats.js import JetStreamContext
from nats.js.api import PubAck
from nats.js.errors import NoStreamResponseError, ServiceUnavailableError

from easel.events import Event
from easel.telemetry import metrics

# The request reached no server (JetStream restarting, say), or JetStream said it is not
# available (503: a cluster electing a leader): nothing happened, so it is safe to repeat
# anything. nats-py raises NoStreamResponseError for a publish.
_UNANSWERED = (nats.errors.NoRespondersError, NoStreamResponseError, ServiceUnavailableError)
_TRANSIENT = (nats.errors.TimeoutError, *_UNANSWERED)  # Nats-Msg-Id drops a repeated publish
P = ParamSpec("P")
T = TypeVar("T")


def _through_a_restart(
    on: tuple[type[Exception], ...],
) -> Callable[[Callable[P, Awaitable[T]]], Callable[P, Awaitable[T]]]:
    """Retries that outlast a server restart (a few seconds), bounded at 20 s."""
    return stamina.retry(on=on, attempts=8, wait_initial=0.1, wait_max=2.0, timeout=20.0)


# For requests that are not safe to repeat after a timeout (a KV `create` may have
# succeeded): only an unanswered one is retried.
retry_unanswered = _through_a_restart(_UNANSWERED)
# For requests whose repeat recognises its own earlier success (a lost answer).
retry_transient = _through_a_restart(_TRANSIENT)


Publish = Callable[[Event], Awaitable[PubAck]]
"""What a handler is given to publish with: `publisher(js, source)` in a service, a list's
append in a unit test."""

SOURCE_HEADER = "Easel-Source"  # who published an event: `easel job <id>` shows it


def publisher(js: JetStreamContext, source: str) -> Publish:
    return functools.partial(publish, js, source=source)


@retry_transient
async def publish(js: JetStreamContext, event: Event, *, source: str | None = None) -> PubAck:
    headers = {"Nats-Msg-Id": event.msg_id}
    if source:
        headers[SOURCE_HEADER] = source
    ack = await js.publish(event.subject, event.model_dump_json().encode(), headers=headers)
    metrics.EVENTS_PUBLISHED.labels(event.event_type, event.model).inc()
    return ack


@contextlib.asynccontextmanager
async def publishing(publish: Publish, event: Event) -> AsyncIterator[None]:
    """Publish `event` while the block works, for a "started" event that only has to be in
    its stream before the work's result: every millisecond spent before the work idles it.
    Awaited when the block ends; cancelled if the block fails."""
    sent = asyncio.ensure_future(publish(event))
    try:
        yield
        await sent
    finally:
        sent.cancel()  # a no-op unless the block failed or was cancelled
        await asyncio.gather(sent, return_exceptions=True)
