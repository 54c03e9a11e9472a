"""The backend's busy share with a backlog of 1 s jobs on one model, and the handoff gap
behind it: Easel vs the reference.

Both read the worker stand-in's own timestamps: gap = job N finished → job N+1 received;
busy share = busy time / (first start → last end). Each design gets a worker of its own,
in its own process, with the same service time. The gap had a target of its own (p99 ≤
10 ms with 200 ms jobs) while it justified a hand-written Object Store writer; that target
is retired, and the gap is shown for what it costs the busy share.
"""

from __future__ import annotations

import time
from typing import Any

from easel_devtools.bench.baseline import ReferenceBot
from easel_devtools.bench.measures import handoff_gaps, position_ages, span
from easel_devtools.bench.plan import Plan
from easel_devtools.bench.remote_worker import RemoteWorker
from easel_devtools.bench.report import Outcome, Row, ms
from easel_devtools.bench.rig import MODEL, Rig
from easel_devtools.bench.stats import summarise
from easel_devtools.harness import LLM_KEY
from easel_devtools.standins import Job, LlmStandin

UTILISATION_TARGET = 0.99
STALE_TARGET = 10.0


def _figures(jobs: list[Job], busy: float) -> dict[str, Any]:
    return {
        "jobs": len(jobs),
        "gap": summarise(handoff_gaps(jobs)),
        "utilisation": busy / span(jobs),
        "busy_seconds": busy,
        "wall_seconds": span(jobs),
    }


async def run(plan: Plan) -> Outcome:
    easel = await _easel(plan)
    reference = await _reference(plan)
    gap, ref_gap = easel["gap"], reference["gap"]
    rows = [
        Row(
            f"handoff gap p50/p99/max, ms ({plan.backlog_jobs} jobs backlog)",
            f"{ms(gap.p50)} / {ms(gap.p99)} / {ms(gap.max)}",
            f"reference: {ms(ref_gap.p50)} / {ms(ref_gap.p99)} / {ms(ref_gap.max)}"
            f" ({plan.baseline_jobs} jobs)",
            "",
            None,
        ),
        Row(
            f"backend busy share, {plan.backlog_jobs} jobs × "
            f"{plan.backlog_service_time * 1000:.0f} ms",
            f"{easel['utilisation']:.1%}",
            f"reference: {reference['utilisation']:.1%}",
            "≥ 99%",
            easel["utilisation"] >= UTILISATION_TARGET,
        ),
    ]
    ages = easel["position_ages"]
    rows.append(
        Row(
            f"  queue positions while {plan.backlog_jobs} jobs drain: oldest text before "
            "refreshed, s",
            f"{ages.max:.1f} (p50 {ages.p50:.1f})",
            f"{ages.n} position texts; Bot API flood limits off, notifier pacing on",
            "≤ 10 s",
            ages.max <= STALE_TARGET,
        )
    )
    return Outcome("handoff", rows, {"easel": easel, "reference": reference})


async def _easel(plan: Plan) -> dict[str, Any]:
    n = plan.backlog_jobs
    async with Rig(service_time=plan.backlog_service_time, capacity=1) as rig:
        moving_since = await rig.backlog(n)
        await rig.flux.wait_done(n, timeout=n * plan.backlog_service_time * 3 + 60)
        end = time.monotonic()
        figures = _figures(rig.flux.rendered(), rig.flux.busy_time())
        figures["capacity_violations"] = rig.flux.capacity_violations()
        figures["position_ages"] = summarise(
            [
                age
                for chat in rig.chats
                for age in position_ages(rig.telegram.messages(chat), end, moving_since)
            ]
        )
    return figures


async def _reference(plan: Plan) -> dict[str, Any]:
    n = plan.baseline_jobs
    async with (
        RemoteWorker(service_time=plan.backlog_service_time) as worker,
        LlmStandin(api_key=LLM_KEY) as llm,
        ReferenceBot(worker.url, llm.url, LLM_KEY) as bot,
    ):
        await bot.run(MODEL, [f"backlog job {i}" for i in range(n)])
        return _figures(worker.rendered(), worker.busy_time())
