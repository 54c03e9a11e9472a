"""FloodControl's pacing: sending calls are spaced, the long poll is not."""

from __future__ import annotations

import time
from typing import Any

from aiogram.methods import GetUpdates, SendMessage

from easel_gateway.telegram import FloodControl


async def _answer(bot: Any, method: Any) -> str:
    return "ok"


async def test_sending_calls_are_spaced_to_the_rate() -> None:
    flood = FloodControl(calls_per_second=20.0)
    began = time.monotonic()
    for _ in range(3):
        await flood(_answer, None, SendMessage(chat_id=1, text="hi"))  # type: ignore[arg-type]
    assert time.monotonic() - began >= 2 * 0.05 * 0.9  # two intervals between three calls


async def test_a_long_poll_does_not_delay_the_reply_to_what_it_brought() -> None:
    flood = FloodControl(calls_per_second=1.0)  # a slot a second: a delay would be obvious
    began = time.monotonic()
    await flood(_answer, None, GetUpdates(timeout=25))  # type: ignore[arg-type]
    await flood(_answer, None, SendMessage(chat_id=1, text="hi"))  # type: ignore[arg-type]
    await flood(_answer, None, GetUpdates(timeout=25))  # type: ignore[arg-type]
    assert time.monotonic() - began < 0.5
