"""Estimate accuracy: what a user was told ("about 40 s") against what it took, at a steady
load on four FLUX slots whose renders take 20 s ± 30 % (a GPU's FLUX time; shorter renders
would measure the rounding to 5 s rather than the estimate).

A first round of jobs gives the model its history (no estimate is shown before). Then jobs
arrive at random (Poisson, seeded) at 80 % of the slots' rate, so some start at once and
some wait in line: for each, the first status that carried an estimate, the time it was
shown (the Bot API stand-in's edit time) and the photo's arrival; the error is
|estimate − actual| / actual, actual counted from when the estimate was shown.
"""

from __future__ import annotations

import asyncio
import random
import re
import time

from easel_devtools.bench.plan import Plan
from easel_devtools.bench.report import Outcome, Row
from easel_devtools.bench.rig import Rig
from easel_devtools.bench.stats import summarise
from easel_devtools.standins import BotApiStandin

ACCURACY_TARGET = 0.20
SERVICE_TIME, SPREAD, SLOTS, LOAD = 20.0, 0.3, 4, 0.8
EVERY = SERVICE_TIME / SLOTS / LOAD  # the mean gap between arrivals
_ABOUT = re.compile(r"about (\d+) (s|min)\b")


async def run(plan: Plan) -> Outcome:
    gaps = random.Random(9)
    async with Rig(service_time=SERVICE_TIME, service_spread=SPREAD, capacity=SLOTS) as rig:
        for n in range(SLOTS):
            rig.send(f"estimate warm-up {n}")
        await rig.wait_delivered(SLOTS, timeout=SERVICE_TIME * 3 + 30)
        count = int(plan.estimate_seconds / EVERY)
        chats, at = [], time.monotonic()
        for n in range(count):
            chats.append(rig.send(f"estimate job {n}"))
            at += gaps.expovariate(1 / EVERY)
            await asyncio.sleep(max(0.0, at - time.monotonic()))
        await rig.wait_delivered(SLOTS + count, timeout=count * SERVICE_TIME + 60)
        samples = [s for chat in chats if (s := _sample(rig.telegram, chat)) is not None]
    errors = [abs(estimate - actual) / actual for estimate, actual, _ in samples]
    spread = summarise(errors)
    waited = summarise([e for e, (*_, queued) in zip(errors, samples, strict=True) if queued])
    rows = [
        Row(
            f"estimate error, median |estimate − actual| / actual ({len(samples)} jobs, "
            f"{SERVICE_TIME:.0f} s ± {SPREAD:.0%} renders on {SLOTS} slots, "
            f"{LOAD:.0%} busy)",
            f"{spread.p50:.0%}",
            f"p99 {spread.p99:.0%}; of the {waited.n} told in line: median {waited.p50:.0%}; "
            f"{len(chats) - len(samples)} jobs shown no estimate",
            "≤ 20 %",
            spread.p50 <= ACCURACY_TARGET,
        )
    ]
    return Outcome("estimates", rows, {"errors": spread, "samples": samples})


def _sample(telegram: BotApiStandin, chat: int) -> tuple[float, float, bool] | None:
    """(estimate, actual) seconds for the chat's job, from what its user saw, and whether
    it was told in line (or at its backend)."""
    messages = telegram.messages(chat)
    status = next((m for m in messages if m.from_bot and m.photo is None), None)
    photo = next((m for m in messages if m.photo is not None), None)
    if status is None or photo is None:
        return None
    for at, text in status.edits:
        if match := _ABOUT.search(text):
            value, unit = int(match[1]), match[2]
            estimate = value * (60 if unit == "min" else 1)
            return float(estimate), photo.created_at - at, "queue" in text
    return None
