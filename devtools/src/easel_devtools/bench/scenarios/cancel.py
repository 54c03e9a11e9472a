"""Cancel: from the press of "✖ Cancel" on a job at its backend to the next job's request at
that backend (the slot freed), and the backend calls of jobs cancelled while they waited.

One FLUX slot (FLUX_CAPACITY=1); the worker stand-in, in a process of its own, takes two at
once, because an abandoned request goes on there (as on a real backend) and must not make
the next one wait. Each trial: job A starts, job B and job W wait behind it; W is cancelled
while it waits, then A at its backend; the clock runs from A's press to B's arrival at the
worker (both time.monotonic() on this machine).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from easel_devtools.bench.plan import Plan
from easel_devtools.bench.report import Outcome, Row, ms
from easel_devtools.bench.rig import Rig
from easel_devtools.bench.stats import summarise
from easel_devtools.standins import BotApiStandin, ChatMessage

CANCEL_TARGET = 0.100
SERVICE_TIME = 1.5


async def run(plan: Plan) -> Outcome:
    latencies: list[float] = []
    waiting_calls = 0
    async with Rig(service_time=SERVICE_TIME, capacity=2, env={"FLUX_CAPACITY": "1"}) as rig:
        for trial in range(plan.cancel_trials):
            latency, reached = await _trial(rig, trial)
            latencies.append(latency)
            waiting_calls += reached
    figures = summarise(latencies)
    rows = [
        Row(
            f"cancel at the backend → next job at the backend p50/p99/max, ms "
            f"({plan.cancel_trials} trials)",
            f"{ms(figures.p50)} / {ms(figures.p99)} / {ms(figures.max)}",
            f"{SERVICE_TIME:.1f} s jobs, 1 slot",
            "p99 ≤ 100 ms",
            figures.p99 <= CANCEL_TARGET,
        ),
        Row(
            "backend calls of jobs cancelled while waiting",
            str(waiting_calls),
            f"{plan.cancel_trials} cancelled while waiting",
            "0",
            waiting_calls == 0,
        ),
    ]
    data: dict[str, Any] = {"latency": figures, "waiting_backend_calls": waiting_calls}
    return Outcome("cancel", rows, data)


async def _trial(rig: Rig, trial: int) -> tuple[float, int]:
    """One trial's latency, and whether the job cancelled while waiting reached the worker."""
    telegram = rig.telegram
    running = rig.send(f"cancel trial {trial} running")
    await _until(lambda: _worker_has(rig, f"trial {trial} running"))
    following = rig.send(f"cancel trial {trial} following")
    waiting = rig.send(f"cancel trial {trial} waiting")
    await telegram.wait_for_async(lambda: "queue" in _status(telegram, waiting).text_or_empty, 30)
    await _press_cancel(telegram, waiting)
    await telegram.wait_for_async(
        lambda: (
            "Generating" in _status(telegram, running).text_or_empty
            and bool(_status(telegram, running).buttons)
        ),
        30,
    )
    pressed_at = await _press_cancel(telegram, running)
    await _until(lambda: _worker_has(rig, f"trial {trial} following"))
    arrived = next(j for j in rig.flux.jobs() if f"trial {trial} following" in (j.prompt or ""))
    await telegram.wait_for_async(lambda: bool(telegram.photos(following)), 30)
    reached = int(_worker_has(rig, f"trial {trial} waiting"))
    return arrived.received_at - pressed_at, reached


async def _press_cancel(telegram: BotApiStandin, chat: int) -> float:
    status = _status(telegram, chat)
    [(_, data)] = status.buttons
    assert data is not None
    pressed_at = time.monotonic()
    press = telegram.press_button(chat, status.message_id, data)
    await telegram.wait_for_async(lambda: bool(telegram.callback_answers(press.callback_query_id)))
    return pressed_at


def _status(telegram: BotApiStandin, chat: int) -> _Status:
    """The chat's status message as it stands (an empty one before the gateway sent it)."""
    message = next((m for m in telegram.messages(chat) if m.from_bot and m.photo is None), None)
    return _Status(message)


class _Status:
    def __init__(self, message: ChatMessage | None) -> None:
        self.message_id = message.message_id if message else 0
        self.text_or_empty = (message.text or "") if message else ""
        self.buttons = message.buttons if message else []


def _worker_has(rig: Rig, words: str) -> bool:
    return any(words in (job.prompt or "") for job in rig.flux.jobs())


async def _until(condition: Any, timeout: float = 30.0) -> None:  # noqa: ASYNC109
    """The worker lives in another process, which sends no notice: it is asked, often."""
    async with asyncio.timeout(timeout):
        while True:
            if condition():
                return
            await asyncio.sleep(0.005)
