"""The one consume loop: fetch, decode, call the handler, then ack / nak / term.

Every consumer in Easel runs through `ConsumerLoop`, so these rules hold everywhere:
- a body that does not decode to the expected event, or whose event and model disagree
  with its subject, is terminated, never retried;
- the handler's `Outcome` decides ack, nak or term; an exception is a nak with backoff;
- a nak on the consumer's last allowed delivery (`max_deliver`) becomes a term, after the
  service's `give_up` hook has told the user; the server's max-deliveries advisory (a
  process that died on that delivery) ends the same way through `exhausted`, see
  `_advisory.py`;
- every term is dead-lettered first (`_deadletter.py`); if that fails, the message is
  nak'ed instead, so a message is never dropped without a trace (a consumer of copies,
  `letters=False`, only logs it: its original has a letter of its own);
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
from nats.js.errors import NotFoundError

from easel.bus._deadletter import Letter, dead_letter
from easel.bus._decode import rejection
from easel.bus._outcome import Ack, Delivery, Nak, Outcome, Reason, Term
from easel.events import Event
from easel.telemetry import metrics

E = TypeVar("E", bound=Event)
Handler = Callable[[E, Delivery], Awaitable[Outcome]]
Decoder = Callable[[bytes], E]
GiveUp = Callable[[E, Delivery], Awaitable[None]]
"""Tells whoever waits for the job that it will not be done (e.g. publishes image.failed)."""

log = structlog.get_logger("easel.bus")


def retry_delay(attempt: int) -> float:
    """Backoff for a handler that raised: 1, 2, 4 … capped at 60 seconds."""
    return float(min(2 ** max(attempt - 1, 0), 60))


async def fetch_one(
    sub: JetStreamContext.PullSubscription, wait: float, consumer: str
) -> list[Msg]:
    """One pull request for one message; [] when none came or the fetch failed (logged,
    then paced while the client reconnects)."""
    try:
        return await sub.fetch(1, timeout=wait)
    except nats.errors.TimeoutError:
        return []
    except nats.errors.Error as error:
        log.warning("bus.fetch_failed", consumer=consumer, error=repr(error))
        await asyncio.sleep(0.5)
        return []


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
        give_up: GiveUp[E] | None = None,
        letters: bool = True,
    ) -> None:
        self._js = js
        self._stream = stream
        self._durable = durable
        self._decode = decode
        self._handler = handler
        self._workers = workers
        self._heartbeat = heartbeat
        self._fetch_timeout = fetch_timeout
        self._give_up = give_up
        # False for a consumer of copies (EASEL_HISTORY): the original of a message it gives
        # up was dead-lettered where it came from, and a letter here would replay it twice.
        self._letters = letters
        self._max_deliver = 0  # unlimited until run() reads the consumer's configuration
        self._busy: set[asyncio.Task[None]] = set()
        # Stream sequences being handled here. A nats-server that restarted hard can forget
        # it handed a message out (consumer state is written lazily) and hand it out again,
        # even as a first delivery, while the first is still being handled.
        self._handling: set[int] = set()
        for reason in Reason:  # series that exist from the start read 0, not "no data"
            metrics.DEAD_LETTERS.labels(durable, reason.value)

    @property
    def stream(self) -> str:
        return self._stream

    @property
    def durable(self) -> str:
        return self._durable

    async def run(self, stop: asyncio.Event, grace: float = 25.0) -> None:
        # The server's configuration, not a setting: it is what the server enforces.
        info = await self._js.consumer_info(self._stream, self._durable)
        self._max_deliver = max(info.config.max_deliver or 0, 0)
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
                messages = await fetch_one(sub, self._fetch_timeout, self._durable)
                if not messages:
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
        except Exception as error:  # whatever a poison body raises, it must not stop the loop
            await self._settle(msg, Term(*rejection(error)), delivery)
            return
        if event.subject != delivery.subject:
            detail = f"{event.event_type} for {event.model} on {delivery.subject}"
            await self._settle(msg, Term(Reason.WRONG_SUBJECT, detail), delivery)
            return
        with structlog.contextvars.bound_contextvars(job_id=event.job_id, model=event.model):
            if delivery.stream_seq in self._handling:
                # Back later, when the first handling has settled it (the handler then
                # finds its own record: a photo sent, a job published).
                log.warning("bus.already_handling", consumer=self._durable)
                await self._settle(msg, Nak(retry_delay(delivery.attempt)), delivery)
                return
            self._handling.add(delivery.stream_seq)
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
                self._handling.discard(delivery.stream_seq)
            if isinstance(outcome, Nak) and 0 < self._max_deliver <= delivery.attempt:
                outcome = await self._last_delivery_failed(event, delivery, outcome)
            await self._settle(msg, outcome, delivery)

    async def _last_delivery_failed(self, event: E, delivery: Delivery, nak: Nak) -> Outcome:
        """No delivery is left: tell the user, then dead-letter. If telling fails, the nak
        stands and the server's advisory brings the message back through `exhausted`."""
        if not await self._tell_give_up(event, delivery):
            return nak
        return Term(Reason.MAX_DELIVERIES, f"failed on all {delivery.attempt} deliveries")

    async def _tell_give_up(self, event: E, delivery: Delivery) -> bool:
        if self._give_up is None:
            return True
        try:
            await self._give_up(event, delivery)
        except Exception:
            log.exception(
                "bus.give_up_failed", consumer=self._durable, stream_seq=delivery.stream_seq
            )
            return False
        return True

    async def exhausted(self, stream_seq: int, deliveries: int) -> bool:
        """The server will not deliver this message again (max deliveries reached while no
        handler settled it, e.g. the process died): tell the user and dead-letter it.
        False when that could not be done yet and should be tried again."""
        try:
            stored = await self._js.get_msg(self._stream, stream_seq)
        except NotFoundError:  # gone already (age or size limits): nothing left to tell
            log.warning(
                "bus.exhausted_message_missing", consumer=self._durable, stream_seq=stream_seq
            )
            return True
        except nats.errors.Error as error:
            log.warning(
                "bus.exhausted_read_failed",
                consumer=self._durable,
                stream_seq=stream_seq,
                error=repr(error),
            )
            return False
        data, subject = stored.data or b"", stored.subject or ""
        delivery = Delivery(subject, deliveries, stream_seq)
        try:
            event = self._decode(data)
        except Exception:  # nobody to tell; the letter still keeps the body
            event = None
        if event is not None and event.subject == subject:
            with structlog.contextvars.bound_contextvars(job_id=event.job_id, model=event.model):
                if not await self._tell_give_up(event, delivery):
                    return False
        detail = f"no settlement after {deliveries} deliveries"
        return await self._dead_letter(
            Term(Reason.MAX_DELIVERIES, detail), delivery, data, stored.headers
        )

    async def _keep_lease(self, msg: Msg) -> None:
        while True:
            await asyncio.sleep(self._heartbeat)
            with contextlib.suppress(Exception):
                await msg.in_progress()

    async def _settle(self, msg: Msg, outcome: Outcome, delivery: Delivery) -> None:
        """The single place where a message's fate is sent to the server."""
        if isinstance(outcome, Term) and not await self._dead_letter(
            outcome, delivery, msg.data, msg.headers
        ):
            outcome = Nak(retry_delay(delivery.attempt))  # keep it until the letter is stored
        kind = type(outcome).__name__.lower()
        metrics.EVENTS_CONSUMED.labels(self._durable, kind).inc()
        try:
            match outcome:
                case Ack():
                    await msg.ack()
                case Nak(delay=delay):
                    await msg.nak(delay=delay or None)
                case Term():
                    await msg.term()
        except nats.errors.Error as error:
            # The server redelivers after ack_wait; handlers are idempotent for that.
            log.warning(
                "bus.settle_failed", consumer=self._durable, outcome=kind, error=repr(error)
            )

    async def _dead_letter(
        self, term: Term, delivery: Delivery, data: bytes, headers: dict[str, str] | None
    ) -> bool:
        if not self._letters:
            log.warning(
                "bus.copy_given_up",
                consumer=self._durable,
                stream_seq=delivery.stream_seq,
                reason=term.reason.value,
                detail=term.detail,
            )
            return True
        letter = Letter(
            consumer=self._durable,
            stream=self._stream,
            subject=delivery.subject,
            stream_seq=delivery.stream_seq,
            deliveries=delivery.attempt,
            reason=term.reason,
            detail=term.detail,
            data=data,
            headers=headers,
        )
        return await dead_letter(self._js, letter)
