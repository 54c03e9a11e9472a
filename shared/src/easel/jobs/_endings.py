"""A job's one ending, claimed before anyone tells its user: the first claim wins.

KV `easel_job_endings`, one key per job. `create` lets exactly one claim win across every
replica and service; a claim that finds another learns which. So a cancel pressed while
the photo goes out, or a failure racing a cancel, ends the job once, and the user sees
that one ending: the notifier claims `delivering` as a photo leaves (once its chat's
Telegram budget lets it: a cancel pressed while it waits still wins) and `failed` before it
says so; a front door claims `cancelled` before it publishes image.cancelled.
"""

from __future__ import annotations

from enum import StrEnum

from nats.js.errors import KeyNotFoundError, KeyWrongLastSequenceError
from nats.js.kv import KeyValue

from easel import bus


class Ending(StrEnum):
    DELIVERING = "delivering"  # the photo is on its way: too late to cancel
    FAILED = "failed"
    CANCELLED = "cancelled"


class Endings:
    def __init__(self, kv: KeyValue) -> None:
        self._kv = kv

    # A repeat of a create whose answer was lost finds its own value: the same ending.
    @bus.retry_transient
    async def claim(self, job_id: str, ending: Ending) -> Ending:
        """The job's ending: `ending` when this claim won (or an equal one was there: a
        redelivery, a second press), else the one that won before it."""
        try:
            await self._kv.create(job_id, ending.value.encode())
        except KeyWrongLastSequenceError:
            found = await self.of(job_id)
            return ending if found is None else found  # None: expired in between
        return ending

    async def of(self, job_id: str) -> Ending | None:
        try:
            entry = await self._kv.get(job_id)
        except KeyNotFoundError:
            return None
        try:
            return Ending((entry.value or b"").decode())
        except ValueError:  # written by a newer version: some ending, not ours to read
            return Ending.FAILED
