"""Changes of the job view, pushed to the SSE streams that follow a job: one ordered
consumer per gateway on the view's records (`$KV.easel_jobs.job.*`, new writes only),
each change handed to that job's followers in this process; and the renders' progress
(`image.progress.*.*`, a core subscription: a missed report is replaced by the next).

A follower keeps only the newest record and percent: a slow client skips views it had no
time for, and its memory stays one record whatever it falls behind by.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator

from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from nats.js.api import DeliverPolicy
from pydantic import ValidationError

from easel import bus
from easel.events import ImageProgress
from easel.jobs import JobRecord


class Follower:
    """The newest (revision, record) of one job, and an event set when it changes."""

    def __init__(self) -> None:
        self.latest: tuple[int, JobRecord] | None = None
        self.percent: int | None = None  # of the render, while it runs
        self.changed = asyncio.Event()

    def offer(self, revision: int, record: JobRecord) -> None:
        if self.latest is None or revision > self.latest[0]:
            self.latest = (revision, record)
            self.changed.set()

    def progress(self, percent: int) -> None:
        if percent != self.percent:
            self.percent = percent
            self.changed.set()


class JobChanges:
    def __init__(self, nc: Client) -> None:
        self._nc = nc
        self._js = nc.jetstream()
        self._following: dict[str, set[Follower]] = {}
        self._subscriptions: list[Subscription] = []

    async def start(self) -> None:
        views = await self._js.subscribe(
            f"$KV.{bus.JOBS_BUCKET}.job.*",
            ordered_consumer=True,
            deliver_policy=DeliverPolicy.NEW,
            cb=self._on_change,
        )
        progress = await self._nc.subscribe("image.progress.*.*", cb=self._on_progress)
        self._subscriptions = [views, progress]

    async def stop(self) -> None:
        for subscription in self._subscriptions:
            await subscription.unsubscribe()

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

    async def _on_progress(self, msg: Msg) -> None:
        followers = self._following.get(msg.subject.rsplit(".", 1)[1])
        if not followers:
            return
        try:
            event = ImageProgress.model_validate_json(msg.data)
        except ValidationError:
            return
        for follower in followers:
            follower.progress(event.percent)
