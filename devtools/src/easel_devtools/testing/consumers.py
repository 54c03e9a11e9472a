"""A durable consumer as the server sees it.

Acks, naks and terms are fire-and-forget publishes that the server applies on its own
schedule, so a test reads the consumer's state only once the server has caught up."""

from __future__ import annotations

import asyncio

from nats.js import JetStreamContext
from nats.js.api import ConsumerInfo


async def settled(
    js: JetStreamContext, stream: str, durable: str, seq: int | None = None, within: float = 10.0
) -> ConsumerInfo:
    """The consumer once every message up to `seq` (default: the stream's last) is settled.
    Fails with the server's last answer if that does not happen `within` seconds."""
    if seq is None:
        seq = (await js.stream_info(stream)).state.last_seq
    info: ConsumerInfo | None = None
    try:
        async with asyncio.timeout(within):
            while True:
                info = await js.consumer_info(stream, durable)
                floor = info.ack_floor.stream_seq if info.ack_floor else 0
                if (floor or 0) >= seq and not info.num_ack_pending:
                    return info
                await asyncio.sleep(0.05)  # the server has no push notice for an ack floor
    except TimeoutError:
        raise AssertionError(f"{durable} not settled through {seq} in {within} s: {info}") from None


async def holding(js: JetStreamContext, stream: str, count: int, within: float = 10.0) -> int:
    """The stream's last sequence once it holds at least `count` messages (a sourced stream
    fills on the server's schedule). Fails with the last count seen after `within` s."""
    messages = 0
    try:
        async with asyncio.timeout(within):
            while True:
                state = (await js.stream_info(stream)).state
                messages = state.messages
                if messages >= count:
                    return int(state.last_seq)
                await asyncio.sleep(0.02)  # the server has no push notice for a stream's size
    except TimeoutError:
        raise AssertionError(f"{stream} holds {messages} of {count} within {within} s") from None
