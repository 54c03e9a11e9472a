"""Observers of what crosses the bus, with awaitable conditions: tests wait on these, not
on time. Core NATS sees every JetStream publish, and every ack on `$JS.ACK.…`."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Self, cast

from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription

from easel import bus
from easel.events import ImageFailed, ImageGenerated, ImageStarted

Result = ImageStarted | ImageGenerated | ImageFailed
_results = bus.decoder(ImageStarted, ImageGenerated, ImageFailed)


@dataclass(frozen=True)
class Seen:
    subject: str
    data: bytes
    headers: dict[str, str]


class Collector:
    """Every message on some core subjects, with an awaitable condition over them."""

    subjects: tuple[str, ...] = ()

    def __init__(self) -> None:
        self.seen: list[Seen] = []
        self._changed = asyncio.Condition()

    @classmethod
    async def watch(cls, nc: Client, *subjects: str) -> Self:
        collector = cls()
        for subject in subjects or cls.subjects:
            await nc.subscribe(subject, cb=collector._on)
        return collector

    async def _on(self, msg: Msg) -> None:
        async with self._changed:
            self.seen.append(Seen(msg.subject, msg.data, dict(msg.headers or {})))
            self._changed.notify_all()

    async def wait_for(self, predicate: Callable[[], bool], within: float = 15.0) -> None:
        async with asyncio.timeout(within), self._changed:
            await self._changed.wait_for(predicate)

    async def wait_count(self, count: int, within: float = 15.0) -> None:
        await self.wait_for(lambda: len(self.seen) >= count, within)


class Letters(Collector):
    """Dead letters as they are stored."""

    subjects = ("dlq.>",)

    def reasons(self) -> list[str]:
        return [s.headers[bus.DlqHeader.REASON] for s in self.seen]


class Results(Collector):
    """Every image.* event, as the notifier would see them."""

    subjects = ("image.started.>", "image.generated.>", "image.failed.>")

    def events(self) -> list[Result]:
        return [cast(Result, _results.validate_json(s.data)) for s in self.seen]

    def of(self, kind: type[Any]) -> list[Any]:
        return [e for e in self.events() if isinstance(e, kind)]

    def finished(self) -> list[ImageGenerated | ImageFailed]:
        return [e for e in self.events() if not isinstance(e, ImageStarted)]

    async def wait_finished(self, count: int, within: float = 10.0) -> None:
        await self.wait_for(lambda: len(self.finished()) >= count, within)


class Settlements:
    """A consumer's acks and naks, as seen on the wire."""

    def __init__(self, sub: Subscription) -> None:
        self._sub = sub

    @classmethod
    async def watch(cls, nc: Client, stream: str, durable: str) -> Settlements:
        return cls(await nc.subscribe(f"$JS.ACK.{stream}.{durable}.>"))

    async def next(self, count: int = 1, within: float = 15.0) -> list[bytes]:
        """The next `count` settlements (in-progress pings skipped): b"+ACK", b"-NAK …"."""
        seen: list[bytes] = []
        async with asyncio.timeout(within):
            while len(seen) < count:
                msg = await self._sub.next_msg(timeout=None)
                if not msg.data.startswith(b"+WPI"):
                    seen.append(msg.data or b"+ACK")  # nats-py acks with an empty body
        return seen
