"""The one consume loop: fetch, decode, call the handler, then ack / nak / term.

Every consumer in Easel runs through `ConsumerLoop`, so these rules hold everywhere:
- a body that does not decode to the expected event is terminated and logged, never retried;
- the handler's `Outcome` decides ack, nak or term; an exception is a nak with backoff;
- a long job keeps its lease with in-progress acks;
- on stop, idle fetches are cancelled and running handlers get `grace` seconds, after
  which they are cancelled and their messages nak'ed, so nothing is lost.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

import nats.errors
import structlog
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from pydantic import ValidationError

from easel.events import Event
from easel.telemetry import metrics

from ._outcome import Ack, Delivery, Nak, Outcome, Term

E = TypeVar("E", bound=Event)
Handler = Callable[[E, Delivery], Awaitable[Outcome]]
Decoder = Callable[[bytes], E]

log = structlog.get_logger("easel.bus")


def retry_delay(attempt: int) -> float:
    """Backoff for a handler that raised: 1, 2, 4 … capped at 60 seconds."""
    return float(min(2 ** max(attempt - 1, 0), 60))


class ConsumerLoop(Generic[E]):
    def __init__(
        self,
        js: JetStreamContext,
        *,
        stream: str,
        durable: str,
        decode: Decoder[E],
        handler: Handler[E],
        workers: int,
        heartbeat: float,
        fetch_timeout: float = 5.0,
    ) -> None:
        self._js = js
        self._stream = stream
        self._durable = durable
        self._decode = decode
        self._handler = handler
        self._workers = workers
        self._heartbeat = heartbeat
        self._fetch_timeout = fetch_timeout
        self._busy: set[asyncio.Task[None]] = set()

    async def run(self, stop: asyncio.Event, grace: float = 25.0) -> None:
        tasks = [asyncio.create_task(self._worker(stop)) for _ in range(self._workers)]
        stopped = asyncio.create_task(stop.wait())
        done, _ = await asyncio.wait([*tasks, stopped], return_when=asyncio.FIRST_COMPLETED)
        for task in done - {stopped}:
            task.result()  # a worker only ends on stop; anything else is a bug worth raising
        for task in tasks:
            if task not in self._busy:
                task.cancel()
        _, late = await asyncio.wait(tasks, timeout=grace) if tasks else (set(), set())
        for task in late:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        stopped.cancel()
        log.info("bus.consumer_stopped", consumer=self._durable, cancelled_in_flight=len(late))

    async def _worker(self, stop: asyncio.Event) -> None:
        # One pull subscription per worker: independent pull requests, like replicas.
        sub = await self._js.pull_subscribe_bind(durable=self._durable, stream=self._stream)
        me = asyncio.current_task()
        assert me is not None
        try:
            while not stop.is_set():
                try:
                    messages = await sub.fetch(1, timeout=self._fetch_timeout)
                except nats.errors.TimeoutError:
                    continue
                except (nats.errors.ConnectionClosedError, nats.errors.Error) as error:
                    log.warning("bus.fetch_failed", consumer=self._durable, error=repr(error))
                    await asyncio.sleep(0.5)  # pacing while the client reconnects
                    continue
                self._busy.add(me)
                try:
                    for msg in messages:
                        await self._process(msg)
                finally:
                    self._busy.discard(me)
        finally:
            with contextlib.suppress(Exception):
                await sub.unsubscribe()

    async def _process(self, msg: Msg) -> None:
        meta = msg.metadata
        delivery = Delivery(msg.subject, meta.num_delivered, meta.sequence.stream)
        if delivery.attempt > 1:
            metrics.REDELIVERIES.labels(self._durable).inc()
        try:
            event = self._decode(msg.data)
        except ValidationError as error:
            await self._settle(msg, Term(f"undecodable: {_summary(error)}"), delivery)
            return
        with structlog.contextvars.bound_contextvars(job_id=event.job_id, model=event.model):
            keep_lease = asyncio.create_task(self._keep_lease(msg))
            try:
                outcome = await self._handler(event, delivery)
            except asyncio.CancelledError:
                await self._settle(msg, Nak(0.0), delivery)
                raise
            except Exception:
                log.exception(
                    "bus.handler_failed", consumer=self._durable, attempt=delivery.attempt
                )
                outcome = Nak(retry_delay(delivery.attempt))
            finally:
                keep_lease.cancel()
            await self._settle(msg, outcome, delivery)

    async def _keep_lease(self, msg: Msg) -> None:
        while True:
            await asyncio.sleep(self._heartbeat)
            with contextlib.suppress(Exception):
                await msg.in_progress()

    async def _settle(self, msg: Msg, outcome: Outcome, delivery: Delivery) -> None:
        """The single place where a message's fate is sent to the server."""
        kind = type(outcome).__name__.lower()
        metrics.EVENTS_CONSUMED.labels(self._durable, kind).inc()
        try:
            match outcome:
                case Ack():
                    await msg.ack()
                case Nak(delay=delay):
                    await msg.nak(delay=delay or None)
                case Term(reason=reason):
                    log.error(
                        "bus.message_terminated",
                        consumer=self._durable,
                        subject=delivery.subject,
                        stream_seq=delivery.stream_seq,
                        reason=reason,
                    )
                    await msg.term()
        except nats.errors.Error as error:
            # The server redelivers after ack_wait; handlers are idempotent for that.
            log.warning(
                "bus.settle_failed", consumer=self._durable, outcome=kind, error=repr(error)
            )


def _summary(error: ValidationError) -> str:
    first = error.errors(include_url=False)[0]
    where = ".".join(str(part) for part in first["loc"]) or "body"
    return f"{where}: {first['msg']} ({error.error_count()} error(s))"
