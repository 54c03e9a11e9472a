"""Connect to NATS with reconnects that outlast a server restart."""

from __future__ import annotations

import nats
import structlog
from nats.aio.client import Client

log = structlog.get_logger("easel.bus")


def servers(url: str) -> list[str]:
    """NATS_URL may name several servers, comma-separated (a cluster), as other NATS
    clients accept; nats-py wants a list."""
    return [part.strip() for part in url.split(",") if part.strip()]


async def connect(url: str, name: str) -> Client:
    async def disconnected() -> None:
        log.warning("bus.disconnected")

    async def reconnected() -> None:
        log.info("bus.reconnected")

    async def error(exc: Exception) -> None:
        log.warning("bus.connection_error", error=repr(exc))

    return await nats.connect(
        servers(url),
        name=name,
        max_reconnect_attempts=-1,
        reconnect_time_wait=0.5,
        connect_timeout=5,
        disconnected_cb=disconnected,
        reconnected_cb=reconnected,
        error_cb=error,
    )
