"""The projector: every job event of EASEL_HISTORY, folded into the job view.

It reads through the durable `projector` and acks once the record is written, so a
projector that dies leaves its events to be applied again: the fold makes that harmless.
"""

from __future__ import annotations

from easel import bus
from easel.events import ALL_EVENTS, JobEvent
from easel.jobs._store import JobStore

decode_job_event = bus.decoder(*ALL_EVENTS).validate_json


class Projector:
    def __init__(self, store: JobStore) -> None:
        self._store = store

    async def handle(self, event: JobEvent, delivery: bus.Delivery) -> bus.Outcome:
        await self._store.apply(event, delivery.stream_seq)
        return bus.ACK
