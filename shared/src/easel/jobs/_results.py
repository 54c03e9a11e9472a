"""Waiting in one process for the ends of the jobs it started: one core subscription to
every result, and a future per job awaited (the HTTP API's synchronous calls)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from typing import cast

from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from pydantic import ValidationError

from easel import bus
from easel.events import ImageCancelled, ImageFailed, ImageGenerated

Result = ImageGenerated | ImageFailed | ImageCancelled
_decode = bus.decoder(ImageGenerated, ImageFailed, ImageCancelled).validate_json


def decode_result(data: bytes) -> Result:
    return cast(Result, _decode(data))  # the decoder takes these three only


class Results:
    def __init__(self, nc: Client) -> None:
        self._nc = nc
        self._waiting: dict[str, asyncio.Future[Result]] = {}
        self._subscription: Subscription | None = None

    async def start(self) -> None:
        # image.started and image.delivered come too; they are skipped before decoding.
        self._subscription = await self._nc.subscribe("image.*.*", cb=self._on_result)

    async def stop(self) -> None:
        if self._subscription is not None:
            await self._subscription.unsubscribe()

    @contextlib.contextmanager
    def awaiting(self, job_ids: list[str]) -> Iterator[dict[str, asyncio.Future[Result]]]:
        """Futures for the jobs' results; enter before publishing, so none slips past."""
        loop = asyncio.get_running_loop()
        futures = {job_id: loop.create_future() for job_id in job_ids}
        self._waiting.update(futures)
        try:
            yield futures
        finally:
            for job_id in job_ids:
                self._waiting.pop(job_id, None)

    async def _on_result(self, msg: Msg) -> None:
        kind = msg.subject.split(".", 2)[1]
        if kind not in ("generated", "failed", "cancelled") or not self._waiting:
            return
        try:
            result = decode_result(msg.data)
        except ValidationError:
            return  # not an event this version knows: nothing to wait for in it
        waiter = self._waiting.get(result.job_id)
        if waiter is not None and not waiter.done():
            waiter.set_result(result)
