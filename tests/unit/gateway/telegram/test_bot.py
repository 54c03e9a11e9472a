"""FloodControl's pacing: sending calls are spaced, the long poll is not."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from aiogram.methods import GetUpdates, SendMessage

from easel_gateway.telegram.bot import FloodControl


async def _answer(bot: Any, method: Any) -> str:
    return "ok"


async def test_no_second_sees_more_calls_than_the_rate_yet_a_burst_goes_at_once() -> None:
    flood = FloodControl(calls_per_second=3.0)
    sent: list[float] = []

    async def answer(bot: Any, method: Any) -> str:
        sent.append(time.monotonic())
        return "ok"

    calls = [
        flood(answer, None, SendMessage(chat_id=chat, text="hi"))  # type: ignore[arg-type]
        for chat in range(4)
    ]
    await asyncio.wait_for(asyncio.gather(*calls), timeout=5)
    assert sent[2] - sent[0] < 0.5  # three at once
    assert sent[3] - sent[0] >= 1.0  # the fourth once the first's second is over


async def test_a_long_poll_does_not_delay_the_reply_to_what_it_brought() -> None:
    flood = FloodControl(calls_per_second=1.0)  # a slot a second: a delay would be obvious
    began = time.monotonic()
    await flood(_answer, None, GetUpdates(timeout=25))  # type: ignore[arg-type]
    await flood(_answer, None, SendMessage(chat_id=1, text="hi"))  # type: ignore[arg-type]
    await flood(_answer, None, GetUpdates(timeout=25))  # type: ignore[arg-type]
    assert time.monotonic() - began < 0.5
