"""Live queue positions for one model: "⏳ In FLUX queue: position 3".

The queue is the model's `prompt.enhanced.<model>` messages the generator's durable has
not been handed yet. An ordered consumer replays them from the durable's ack floor into
memory (stream seq → job); on every change (a new prompt, any `image.*.<model>` event,
or a slow safety refresh) the durable's `delivered.stream_seq` says who has left, and the
rest are ranked. Positions go through the outbox, whose coalescing makes re-pushing an
unchanged position free and whose pacing spreads a moving queue's edits.

One notifier replica at a time runs the watchers: the one holding the positions lease
(`easel.runtime.lead`), so no two replicas edit the same status message; when it goes,
another takes the lease over within its term (15 s) and replays the queues.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass

import nats.errors
import structlog
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import ConsumerConfig, DeliverPolicy
from pydantic import ValidationError

from easel import bus
from easel.controls import ModelPauses
from easel.events import PromptEnhanced, TelegramRequester
from easel.i18n import pause_note
from easel.jobs import ServiceTimes, ready_in
from easel.settings import ModelSpec
from easel_notifier import texts
from easel_notifier.outbox import Outbox
from easel_notifier.positions import positions
from easel_notifier.scheduler import Stage

log = structlog.get_logger("easel.notifier")

_decode = bus.decoder(PromptEnhanced).validate_json
_RESTART_DELAY = 2.0
_MIN_ROUND_SECONDS = 0.25


@dataclass(frozen=True)
class Waiting:
    job_id: str
    requester: TelegramRequester | None


class QueueWatch:
    def __init__(
        self,
        nc: Client,
        js: JetStreamContext,
        outbox: Outbox,
        *,
        spec: ModelSpec,
        service_times: ServiceTimes,
        pauses: ModelPauses,
        refresh_seconds: float,
    ) -> None:
        self._nc = nc
        self._js = js
        self._outbox = outbox
        self._model = spec.name
        self._display = spec.display_name
        self._capacity = spec.capacity
        self._service_times = service_times
        self._pauses = pauses
        self._refresh = refresh_seconds
        self._durable = bus.generator_consumer(spec.name)
        self._waiting: dict[int, Waiting] = {}
        self._dirty = asyncio.Event()

    async def run(self) -> None:
        """Watch until cancelled; a failure (e.g. the bus away) restarts the watch."""
        while True:
            try:
                await self._watch()
            except (nats.errors.Error, TimeoutError) as error:
                log.warning("notifier.queue_watch_failed", model=self._model, error=repr(error))
            except Exception:
                # Positions are a courtesy: a bug here must not end them for good.
                log.exception("notifier.queue_watch_crashed", model=self._model)
            await asyncio.sleep(_RESTART_DELAY)

    async def _watch(self) -> None:
        info = await self._js.consumer_info(bus.PROMPTS, self._durable)
        start = (info.ack_floor.stream_seq or 0) + 1
        self._waiting.clear()
        replay = await self._js.subscribe(
            f"prompt.enhanced.{self._model}",
            stream=bus.PROMPTS,
            ordered_consumer=True,
            config=ConsumerConfig(
                deliver_policy=DeliverPolicy.BY_START_SEQUENCE, opt_start_seq=start
            ),
            cb=self._on_prompt,
            # Its consumer lives in server memory: after a server restart, two missed
            # heartbeats make nats-py recreate it from the last sequence seen.
            idle_heartbeat=2.0,
        )
        # Core NATS sees JetStream publishes too: every start, result or failure of this
        # model means the queue may have moved; a pause or resumption changes its text.
        moves = await self._nc.subscribe(f"image.*.{self._model}", cb=self._on_move)
        paused = await self._nc.subscribe(ModelPauses.subject(self._model), cb=self._on_move)
        log.info("notifier.queue_watch_started", model=self._model, start_seq=start)
        try:
            while True:
                # One recompute at a time, plus at most one pending: triggers arriving
                # meanwhile collapse into the next round.
                with contextlib.suppress(TimeoutError):  # not wait_for: it can eat a cancel
                    async with asyncio.timeout(self._refresh):
                        await self._dirty.wait()
                self._dirty.clear()
                await self._recompute()
                # A queue moving several times a second is ranked a few times a second:
                # its edits could not go out faster, and every round re-ranks every job,
                # on the cores the generator hands out the next job on.
                await asyncio.sleep(_MIN_ROUND_SECONDS)
        finally:
            for sub in (replay, moves, paused):
                with contextlib.suppress(Exception):
                    await sub.unsubscribe()

    async def _on_prompt(self, msg: Msg) -> None:
        try:
            event = _decode(msg.data)
        except ValidationError:
            return  # the generator's loop terms it; it never waits in line
        seq = msg.metadata.sequence.stream
        requester = event.job.requester
        telegram = requester if isinstance(requester, TelegramRequester) else None
        self._waiting[seq] = Waiting(event.job_id, telegram)
        self._dirty.set()

    async def _on_move(self, _: Msg) -> None:
        self._dirty.set()

    async def _recompute(self) -> None:
        try:
            info = await self._js.consumer_info(bus.PROMPTS, self._durable)
            service = await self._service_times.of(self._model)
            pause = await self._pauses.of(self._model)
        except (nats.errors.Error, TimeoutError) as error:
            log.warning("notifier.queue_info_failed", model=self._model, error=repr(error))
            return
        delivered = info.delivered.stream_seq or 0
        for seq in [seq for seq in self._waiting if seq <= delivered]:
            del self._waiting[seq]
        for job, place in positions(self._waiting, delivered):
            if job.requester is not None:
                t = texts.texts_for(job.requester.language_code)
                note = None if pause is None else pause_note(t, self._display, pause)
                eta = ready_in(place, self._capacity, service) if service else None
                text = texts.queued(t, self._display, place, eta, note)
                with structlog.contextvars.bound_contextvars(job_id=job.job_id, model=self._model):
                    self._outbox.edit(
                        job.requester.chat_id,
                        job.requester.status_message_id,
                        text,
                        Stage.QUEUED,
                        cancel=t("button-cancel"),
                    )
