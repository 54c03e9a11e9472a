"""The common shape of a service's process: settings → logs → NATS → provision → serve → stop.

Each service's `__main__` is a composition root that calls `run()` with its settings
class and an async `body(runtime)` that builds its handlers and runs its loops until
`runtime.stop` is set (SIGTERM or SIGINT).
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

import nats.errors
import structlog
from nats.aio.client import Client
from nats.js import JetStreamContext
from pydantic import SecretStr

from easel import bus
from easel.settings import EaselSettings, ModelRegistry, load_settings
from easel.telemetry import configure_logging, start_ops_server

S = TypeVar("S", bound=EaselSettings)
log = structlog.get_logger("easel.runtime")
ReadyCheck = Callable[[], Awaitable[str | None]]


@dataclass
class Runtime(Generic[S]):
    settings: S
    registry: ModelRegistry
    nc: Client
    js: JetStreamContext
    stop: asyncio.Event
    ready_checks: list[ReadyCheck] = field(default_factory=list)

    async def readiness(self) -> str | None:
        if not self.nc.is_connected:
            return "not connected to NATS"
        try:
            for stream in bus.topology(self.settings, self.registry).streams:
                await self.js.stream_info(str(stream.name))
        except nats.errors.Error as error:
            return f"JetStream not ready: {error!r}"
        for check in self.ready_checks:
            if reason := await check():
                return reason
        return None


def secrets_of(*objects: object) -> list[str]:
    """Every SecretStr value on the given settings / model specs, for log redaction."""
    found: list[str] = []
    for obj in objects:
        for value in vars(obj).values():
            if isinstance(value, SecretStr):
                found.append(value.get_secret_value())
    return found


def run(
    program: str,
    settings_cls: type[S],
    body: Callable[[Runtime[S]], Awaitable[None]],
) -> None:
    settings, registry = load_settings(settings_cls, program)
    secrets = secrets_of(settings, *registry.models)
    configure_logging(program, level=settings.log_level, fmt=settings.log_format, secrets=secrets)
    asyncio.run(_serve(program, settings, registry, body))


async def _serve(
    program: str,
    settings: S,
    registry: ModelRegistry,
    body: Callable[[Runtime[S]], Awaitable[None]],
) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    nc = await bus.connect(settings.nats_url, program)
    js = nc.jetstream()
    await bus.provision(js, settings, registry)
    runtime = Runtime(settings, registry, nc, js, stop)
    ops = await start_ops_server(settings.metrics_port, runtime.readiness)
    log.info("service.started", models=list(registry.names), metrics_port=settings.metrics_port)
    try:
        await body(runtime)
    finally:
        await ops.cleanup()
        await nc.drain()
        log.info("service.stopped")
