"""One Easel system set up for one measurement: `harness.EaselSystem` (nats-server, the four
services as processes, stand-ins) with a FLUX worker stand-in of the wanted service time,
capacity and image size, driven the way users drive it: Telegram messages in.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from types import TracebackType
from typing import Self, cast

import aiohttp
import nats
from nats.js import JetStreamContext

from easel import bus
from easel.events import (
    ImageFailed,
    ImageGenerated,
    ImageRequested,
    ImageStarted,
    PromptEnhanced,
)
from easel.jobs import decode_job_event
from easel.natsserver import free_port
from easel_devtools.bench import procs
from easel_devtools.bench.remote_worker import RemoteWorker
from easel_devtools.harness import START_SECONDS, EaselSystem, ServiceProcess
from easel_devtools.standins import FluxWorkerStandin

MODEL = "flux"
PipelineEvent = ImageRequested | PromptEnhanced | ImageStarted | ImageGenerated | ImageFailed
PIPELINE_EVENTS = (ImageRequested, PromptEnhanced, ImageStarted, ImageGenerated, ImageFailed)
_chat_ids = itertools.count(10_000)


def new_chat() -> int:
    """A chat (and user) of its own: keeps the per-user rate limit out of the way."""
    return next(_chat_ids)


class Rig:
    def __init__(
        self,
        *,
        service_time: float = 0.0,
        service_spread: float = 0.0,
        capacity: int = 1,
        image_size: int | None = None,
        llm_latency: float = 0.0,
        flood_limits: bool = False,
        env: dict[str, str] | None = None,
        webhook: bool = False,
    ) -> None:
        """`webhook`: gateways serve Telegram's webhook; `send` POSTs each update to one of
        them in turn, as a Service in front of the replicas would."""
        # Logs stay at the services' production level (INFO): their cost is part of the figure.
        env = {"FLUX_CAPACITY": str(capacity)} | (env or {})
        self._webhooks: list[str] = []
        self._posts: list[asyncio.Task[None]] = []
        self._session: aiohttp.ClientSession | None = None  # Telegram's, for webhook POSTs
        if webhook:
            env |= _webhook_env(self._webhook_port())
        self.system = EaselSystem(flood_limits=flood_limits, env=env)
        self.chats: list[int] = []  # the chats of the last backlog
        self.flux = RemoteWorker(
            service_time=service_time,
            service_spread=service_spread,
            capacity=capacity,
            image_size=image_size,
        )
        # Replaced before start(): the harness starts it, points the services at it, stops it.
        self.system.flux = cast(FluxWorkerStandin, self.flux)
        self.system.llm.latency = llm_latency
        self.telegram = self.system.telegram

    async def __aenter__(self) -> Self:
        try:
            await asyncio.to_thread(self.system.start)
        except BaseException:
            await asyncio.to_thread(self.system.close)
            raise
        if self._webhooks:
            self._session = aiohttp.ClientSession()
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._session is not None:
            await self._session.close()
        await asyncio.to_thread(self.system.close)

    # -- driving ---------------------------------------------------------------------------
    def send(self, prompt: str, chat: int | None = None) -> int:
        """A user asks for a FLUX image; returns the chat it was asked in."""
        chat = new_chat() if chat is None else chat
        update = self.telegram.send_user_message(chat, f"/image={MODEL}={prompt}")
        if self._session is not None:
            url = self._webhooks[len(self._posts) % len(self._webhooks)]
            self._posts.append(asyncio.create_task(_post(self._session, url, update.to_json())))
        return chat

    async def posted(self) -> None:
        """Every update `send` POSTed was answered 200 (raises otherwise)."""
        await asyncio.gather(*self._posts)

    def delivered(self) -> int:
        """Photos the Bot API stand-in has accepted."""
        return self.telegram.responses[("sendPhoto", 200)]

    async def wait_delivered(self, count: int, timeout: float) -> None:  # noqa: ASYNC109
        await self.telegram.wait_for_async(lambda: self.delivered() >= count, timeout=timeout)

    async def backlog(self, count: int, timeout: float = 120.0) -> float:  # noqa: ASYNC109
        """`count` jobs waiting in the model's queue before the generator takes the first.

        The generator is stopped while the requests go through gateway and enhancer, then
        started: from its first job on, the queue behind it is full. Returns when the
        generator was started (the queue starts moving).
        """
        generators = self.generators()
        for generator in generators:
            await asyncio.to_thread(generator.terminate)
        async with StreamWatch(self.system.nats.url, bus.PROMPTS, f"prompt.enhanced.{MODEL}") as w:
            self.chats = [self.send(f"backlog job {n}") for n in range(count)]
            await w.wait_for(count, timeout)
        moving_since = time.monotonic()
        for generator in generators:
            generator.start()
        for generator in generators:
            await asyncio.to_thread(generator.wait_ready)
        return moving_since

    def generators(self) -> list[ServiceProcess]:
        return self.replicas("generator")

    def replicas(self, service: str) -> list[ServiceProcess]:
        return [s for s in self.system.services.values() if s.name == service]

    def add_generator(self) -> ServiceProcess:
        """Another generator replica sharing the model's durable consumer."""
        return self.add_replica("generator")

    def add_replica(self, service: str) -> ServiceProcess:
        """Another replica of `service`, as the first is configured; a gateway serving the
        webhook gets a port of its own, and its share of the updates."""
        first = self.system[service]
        env = dict(first.env)
        if service == "gateway":
            env["API_PORT"] = str(free_port())
        if self._webhooks and service == "gateway":
            env |= _webhook_env(self._webhook_port())
        name = f"{service}-{len(self.replicas(service)) + 1}"
        replica = ServiceProcess(service, env, first.log_path.with_name(f"{name}.log"), free_port())
        self.system.services[name] = replica
        replica.start()
        replica.wait_ready(timeout=START_SECONDS)
        return replica

    def _webhook_port(self) -> int:
        port = free_port()
        self._webhooks.append(f"http://127.0.0.1:{port}{_WEBHOOK_PATH}")
        return port

    # -- reading ---------------------------------------------------------------------------
    def pids(self) -> dict[str, int]:
        """The four services (and extra replicas) plus nats-server, by name."""
        found = {name: s.pid for name, s in self.system.services.items() if s.pid is not None}
        servers = procs.children_named("nats-server")
        if len(servers) == 1:
            found["nats-server"] = servers[0]
        return found

    async def events(self) -> list[PipelineEvent]:
        """Every event the pipeline published, read back from its three streams."""
        nc = await nats.connect(self.system.nats.url)
        try:
            js, found = nc.jetstream(), list[PipelineEvent]()
            for stream in (bus.REQUESTS, bus.PROMPTS, bus.RESULTS):
                state = (await js.stream_info(stream)).state
                for seq in range(state.first_seq, state.last_seq + 1):
                    stored = await js.get_msg(stream, seq)
                    event = decode_job_event(stored.data or b"")
                    # The job view's own (prompt.enhancing, image.delivered…) are skipped.
                    if isinstance(event, PIPELINE_EVENTS):
                        found.append(event)
            return found
        finally:
            await nc.close()


_WEBHOOK_PATH = "/telegram/webhook"
_WEBHOOK_SECRET = "bench-webhook-secret"


def _webhook_env(port: int) -> dict[str, str]:
    return {
        "GATEWAY_MODE": "webhook",
        "WEBHOOK_URL": "https://easel-bench.invalid",
        "WEBHOOK_PATH": _WEBHOOK_PATH,
        "WEBHOOK_SECRET": _WEBHOOK_SECRET,
        "WEBHOOK_HOST": "127.0.0.1",
        "WEBHOOK_PORT": str(port),
    }


async def _post(session: aiohttp.ClientSession, url: str, update: dict[str, object]) -> None:
    headers = {"X-Telegram-Bot-Api-Secret-Token": _WEBHOOK_SECRET}
    async with session.post(url, json=update, headers=headers) as answer:
        answer.raise_for_status()


class StreamWatch:
    """Waits until a stream holds `count` messages on `subject` (a stream may hold other
    subjects too: PROMPTS also has each job's `prompt.enhancing`), woken by each publish."""

    def __init__(self, url: str, stream: str, subject: str) -> None:
        self._url, self._stream, self._subject = url, stream, subject

    async def __aenter__(self) -> Self:
        self._nc = await nats.connect(self._url)
        self._sub = await self._nc.subscribe(self._subject)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._nc.close()

    async def wait_for(self, count: int, timeout: float) -> None:  # noqa: ASYNC109
        js = self._nc.jetstream()
        deadline = time.monotonic() + timeout
        while await self._count(js) < count:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"{self._stream} did not reach {count} messages in {timeout}s")
            # On a timeout, re-check the stream: a publish may have landed before we subscribed.
            with contextlib.suppress(nats.errors.TimeoutError):
                await self._sub.next_msg(timeout=min(left, 1.0))

    async def _count(self, js: JetStreamContext) -> int:
        info = await js.stream_info(self._stream, subjects_filter=self._subject)
        return sum((info.state.subjects or {}).values())
