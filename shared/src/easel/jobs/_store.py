"""The job view in KV `easel_jobs`, readable by every replica; the projector alone writes.

Keys: `job.<job_id>` holds the record; `owner.<owner>.<newest-first>.<job_id>` (no value)
lists an owner's jobs, newest first in key order. Both expire with the bucket's TTL,
HISTORY_DAYS after their last write.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterable

from nats.js.errors import KeyNotFoundError, KeyWrongLastSequenceError
from nats.js.kv import KeyValue

from easel import bus
from easel.events import JobEvent
from easel.jobs import _fold
from easel.jobs._record import JobRecord

_CAS_ATTEMPTS = 50  # far above the events of one job that can be applied at once
_WRITES_AT_ONCE = 256
_NEWEST_FIRST = 10**13  # ms since the epoch stay below it until the year 2286


def job_key(job_id: str) -> str:
    return f"job.{job_id}"


def owner_key(record: JobRecord) -> str:
    newest_first = _NEWEST_FIRST - int(record.requested_at.timestamp() * 1000)
    return f"owner.{record.owner.key}.{newest_first:013d}.{record.job_id}"


class JobStore:
    def __init__(self, kv: KeyValue) -> None:
        self._kv = kv

    async def get(self, job_id: str, *, within: float = 0.0) -> JobRecord | None:
        """The job's record; `within` seconds to wait for one the view has not caught up
        with yet (a button pressed the moment its status appeared)."""
        try:
            entry = await self._kv.get(job_key(job_id))
        except KeyNotFoundError:  # also for a deleted key
            return await self._appearing(job_id, within) if within > 0 else None
        return JobRecord.model_validate_json(entry.value or b"")

    async def revision(self, job_id: str) -> tuple[int, JobRecord] | None:
        """The job's record and its KV revision (which grows with every write to the view,
        so a later record of the job has a larger one)."""
        try:
            entry = await self._kv.get(job_key(job_id))
        except KeyNotFoundError:
            return None
        return entry.revision or 0, JobRecord.model_validate_json(entry.value or b"")

    async def _appearing(self, job_id: str, within: float) -> JobRecord | None:
        # The watch starts with the key's current value: one written since the get is seen.
        watcher = await self._kv.watch(job_key(job_id), ignore_deletes=True)
        try:
            async with asyncio.timeout(within):
                async for entry in watcher:
                    if entry is not None and entry.value:
                        return JobRecord.model_validate_json(entry.value)
        except TimeoutError:
            pass
        finally:
            await watcher.stop()  # type: ignore[no-untyped-call]  # unannotated in nats-py
        return None

    async def of_owner(self, owner: str, limit: int) -> list[JobRecord]:
        """The owner's (an `Owner.key`) last `limit` jobs, newest first."""
        watcher = await self._kv.watch(f"owner.{owner}.>", meta_only=True, ignore_deletes=True)
        keys = []
        try:
            async for entry in watcher:
                if entry is None:  # the end of what is stored
                    break
                keys.append(entry.key)
        finally:
            await watcher.stop()  # type: ignore[no-untyped-call]  # unannotated in nats-py
        records = []
        for key in sorted(keys)[:limit]:
            if record := await self.get(key.rsplit(".", 1)[1]):
                records.append(record)
        return records

    @bus.retry_transient
    async def apply(self, event: JobEvent, seq: int) -> JobRecord:
        """Fold one event (EASEL_HISTORY sequence `seq`) into its job's record, by
        compare-and-set: a concurrent write to the same job makes it read and fold again."""
        key = job_key(event.job_id)
        for _ in range(_CAS_ATTEMPTS):
            try:
                entry = await self._kv.get(key)
            except KeyNotFoundError:
                entry = None
            current = JobRecord.model_validate_json(entry.value or b"") if entry else None
            record = _fold.apply(current, event, seq)
            if record == current:
                return record  # seen before: a redelivery
            try:
                if entry is None:
                    # The index key at once: writing it again (a lost race) is harmless.
                    await asyncio.gather(
                        self._kv.create(key, _encode(record)),
                        self._kv.put(owner_key(record), b""),
                    )
                else:
                    await self._kv.update(key, _encode(record), last=entry.revision)
            except KeyWrongLastSequenceError:
                continue
            return record
        raise AssertionError(f"{key} changed {_CAS_ATTEMPTS} times while being written")

    async def replace_all(self, records: Iterable[JobRecord]) -> int:
        """Write `records` over whatever is stored (`easel jobs rebuild`, into an emptied
        bucket), `_WRITES_AT_ONCE` writes in flight; returns how many records."""
        batch: list[Awaitable[int]] = []
        count = 0
        for record in records:
            batch += [
                self._kv.put(job_key(record.job_id), _encode(record)),
                self._kv.put(owner_key(record), b""),
            ]
            count += 1
            if len(batch) >= _WRITES_AT_ONCE:
                await asyncio.gather(*batch)
                batch = []
        await asyncio.gather(*batch)
        return count


def _encode(record: JobRecord) -> bytes:
    return record.model_dump_json().encode()
