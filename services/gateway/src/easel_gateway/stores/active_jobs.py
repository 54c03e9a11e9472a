"""Each user's active jobs in KV `easel_active_jobs`, shared by every replica: the fair
share. `core.fair_share` decides; this applies it with compare-and-set."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from nats.js.errors import KeyNotFoundError, KeyWrongLastSequenceError
from nats.js.kv import KeyValue

from easel import bus
from easel.jobs import Endings
from easel_gateway.core import fair_share

_CAS_ATTEMPTS = 50  # far above the concurrent requests one user can have in flight


class ActiveJobs:
    def __init__(
        self,
        kv: KeyValue,
        endings: Endings,
        *,
        limit: int,
        stale_after: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._kv = kv
        self._endings = endings
        self.limit = limit
        self._stale_after = stale_after
        self._clock = clock

    # A repeat after a lost answer finds the job's place taken already: safe to retry on a
    # timeout too, which a cluster's leader election produces.
    @bus.retry_transient
    async def admit(self, user: str, job_id: str) -> fair_share.Admission:
        """Count `job_id` among `user`'s active jobs, unless they have `limit` already."""
        key = user
        for _ in range(_CAS_ATTEMPTS):
            try:
                entry = await self._kv.get(key)
            except KeyNotFoundError:
                entry = None
            stored = fair_share.decode(entry.value if entry else None)
            endings = await asyncio.gather(*(self._endings.of(job) for job, _ in stored))
            ended = {job for (job, _), ending in zip(stored, endings, strict=True) if ending}
            admission = fair_share.admit(
                stored, ended, job_id, self._clock(), self.limit, self._stale_after
            )
            if admission.active == stored:
                return admission
            value = fair_share.encode(admission.active)
            try:
                if entry is None:
                    await self._kv.create(key, value)
                else:
                    await self._kv.update(key, value, last=entry.revision)
            except KeyWrongLastSequenceError:
                continue  # another request of this user, just now: read again
            return admission
        raise AssertionError(f"{key}'s active jobs changed {_CAS_ATTEMPTS} times")
