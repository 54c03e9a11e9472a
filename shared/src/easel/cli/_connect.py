"""The connection of a one-shot command: no reconnect loop, and no "disconnected" log line
when it closes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import nats
from nats.js import JetStreamContext

from easel import bus
from easel.settings import EaselSettings, load_settings_only


async def connect_once(program: str) -> tuple[JetStreamContext, Callable[[], Awaitable[None]]]:
    settings = load_settings_only(EaselSettings, program)
    nc = await nats.connect(
        bus.servers(settings.nats_url), name=program.replace(" ", "-"), allow_reconnect=False
    )
    return nc.jetstream(), nc.close
