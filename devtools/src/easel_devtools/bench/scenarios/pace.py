"""The reference design's own pace at its documented timings: enhancement 4 s (LLM
stand-in latency), generation 8 s, 2 s polling; a burst of jobs on one model.

Images per minute from the burst's arrival to the worker finishing the last image, for
both (the worker stand-in's clock); Easel and the reference run side by side on separate
stand-ins (both mostly wait, so sharing the machine costs neither any accuracy).
"""

from __future__ import annotations

import asyncio
import time

from easel_devtools.bench.baseline import ReferenceBot
from easel_devtools.bench.plan import Plan
from easel_devtools.bench.remote_worker import RemoteWorker
from easel_devtools.bench.report import Outcome, Row
from easel_devtools.bench.rig import MODEL, Rig
from easel_devtools.harness import LLM_KEY
from easel_devtools.standins import Job, LlmStandin

LLM_SECONDS = 4.0
GENERATION_SECONDS = 8.0
EXPECTED_RATIO = 1.5


async def run(plan: Plan) -> Outcome:
    easel, reference = await asyncio.gather(_easel(plan), _reference(plan))
    ratio = easel["images_per_minute"] / reference["images_per_minute"]
    rows = [
        Row(
            f"reference timings (LLM 4 s, render 8 s, poll 2 s), {plan.pace_jobs} jobs: images/min",
            f"{easel['images_per_minute']:.2f}",
            f"reference: {reference['images_per_minute']:.2f} (Easel ×{ratio:.2f})",
            "≈ ×1.5 or more",
            ratio >= EXPECTED_RATIO,
        )
    ]
    return Outcome("pace", rows, {"easel": easel, "reference": reference, "ratio": ratio})


def _per_minute(count: int, began: float, jobs: list[Job]) -> float:
    last = max(j.finished_at for j in jobs if j.finished_at is not None)
    return count / (last - began) * 60


async def _easel(plan: Plan) -> dict[str, float]:
    n = plan.pace_jobs
    timeout = n * GENERATION_SECONDS * 2 + 60
    async with Rig(service_time=GENERATION_SECONDS, llm_latency=LLM_SECONDS) as rig:
        began = time.monotonic()
        chats = [rig.send(f"pace job {i}") for i in range(n)]
        await rig.wait_delivered(n, timeout=timeout)
        jobs = rig.flux.rendered()
        photos = [
            m.created_at for c in chats for m in rig.telegram.messages(c) if m.photo is not None
        ]
    return {
        "images_per_minute": _per_minute(n, began, jobs),
        "photos_per_minute": n / (max(photos) - began) * 60,
        "seconds": max(photos) - began,
    }


async def _reference(plan: Plan) -> dict[str, float]:
    n = plan.pace_jobs
    async with (
        RemoteWorker(service_time=GENERATION_SECONDS) as worker,
        LlmStandin(api_key=LLM_KEY, latency=LLM_SECONDS) as llm,
        ReferenceBot(worker.url, llm.url, LLM_KEY) as bot,
    ):
        began = time.monotonic()
        await bot.run(MODEL, [f"pace job {i}" for i in range(n)])
        jobs = worker.rendered()
    return {"images_per_minute": _per_minute(n, began, jobs)}
