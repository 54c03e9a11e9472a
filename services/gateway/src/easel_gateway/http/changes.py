"""Changes of the job view, pushed to the SSE streams that follow a job: one ordered
consumer per gateway on the view's records (`$KV.easel_jobs.job.*`, new writes only),
each change handed to that job's followers in this process.

A follower keeps only the newest record: a slow client skips views it had no time for,
and its memory stays one record whatever it falls behind by.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator

from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from nats.js import JetStreamContext
from nats.js.api import DeliverPolicy
from pydantic import ValidationError

from easel import bus
from easel.jobs import JobRecord


class Follower:
    """The newest (revision, record) of one job, and an event set when it changes."""

    def __init__(self) -> None:
        self.latest: tuple[int, JobRecord] | None = None
        self.changed = asyncio.Event()

    def offer(self, revision: int, record: JobRecord) -> None:
        if self.latest is None or revision > self.latest[0]:
            self.latest = (revision, record)
            self.changed.set()


class JobChanges:
    def __init__(self, js: JetStreamContext) -> None:
        self._js = js
        self._following: dict[str, set[Follower]] = {}
        self._subscription: Subscription | None = None

    async def start(self) -> None:
        self._subscription = await self._js.subscribe(
            f"$KV.{bus.JOBS_BUCKET}.job.*",
            ordered_consumer=True,
            deliver_policy=DeliverPolicy.NEW,
            cb=self._on_change,
        )

    async def stop(self) -> None:
        if self._subscription is not None:
            await self._subscription.unsubscribe()

    @property
    def followed(self) -> int:
        return sum(len(followers) for followers in self._following.values())

    @contextlib.contextmanager
    def follow(self, job_id: str) -> Iterator[Follower]:
        """Changes of the job from now on; enter before reading its current record, so no
        change falls between the two."""
        follower = Follower()
        self._following.setdefault(job_id, set()).add(follower)
        try:
            yield follower
        finally:
            followers = self._following.get(job_id, set())
            followers.discard(follower)
            if not followers:
                self._following.pop(job_id, None)

    async def _on_change(self, msg: Msg) -> None:
        job_id = msg.subject.rsplit(".", 1)[1]
        followers = self._following.get(job_id)
        if not followers or not msg.data:  # nobody follows it, or a deletion
            return
        try:
            record = JobRecord.model_validate_json(msg.data)
        except ValidationError:
            return  # written by a newer version: its own gateways follow it
        for follower in followers:
            follower.offer(msg.metadata.sequence.stream, record)
