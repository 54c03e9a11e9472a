"""Pipeline overhead: one request at a time, Telegram update in → photo accepted by the Bot
API stand-in, minus the LLM's latency and the worker's service time.

The events' own timestamps (occurred_at, wall clock) split each request into hops, so a
missed target points at the stage that costs.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime

from easel_devtools.bench.measures import end_to_end, status_messages
from easel_devtools.bench.plan import Plan
from easel_devtools.bench.report import Outcome, Row, ms
from easel_devtools.bench.rig import Rig
from easel_devtools.bench.stats import summarise

LLM_LATENCY = 0.05
SERVICE_TIME = 0.1
WARM_UP = 3  # first requests open connections and fill caches: not counted
TARGET_P50 = 0.015
# Each request's overhead split at the points it passes; the hops add up to the overhead
# (LLM latency and worker service time taken out where they fall).
HOPS = (
    "gateway: update → status message",
    "gateway: status message → image.requested",
    "enhancer: image.requested → prompt.enhanced (− LLM latency)",
    "generator: prompt.enhanced → image.started",
    "generator: image.started → worker request",
    "generator: worker done → image.generated",
    "notifier: image.generated → photo accepted",
)


def _finished(rig: Rig, chat: int) -> Callable[[], bool]:
    """Done for the user: the photo is there and the status message is gone."""
    return lambda: [m.photo is not None for m in rig.telegram.bot_visible_messages(chat)] == [True]


def _prompt(i: int) -> str:
    return f"overhead request {i} end"


async def run(plan: Plan) -> Outcome:
    total = WARM_UP + plan.overhead_requests
    async with Rig(service_time=SERVICE_TIME, llm_latency=LLM_LATENCY) as rig:
        chats = []
        for i in range(total):
            chat = rig.send(_prompt(i))
            chats.append(chat)
            await rig.telegram.wait_for_async(_finished(rig, chat), timeout=30)
        events = await rig.events()
        jobs = {j.prompt: j for j in rig.flux.rendered()}
        chat_messages = {c: rig.telegram.messages(c) for c in chats}
    # The stand-ins stamp time.monotonic() in this process; the services stamp wall time.
    wall_minus_mono = time.time() - time.monotonic()
    by_chat: dict[int, dict[str, datetime]] = defaultdict(dict)
    for event in events:
        if event.job.requester is not None:
            by_chat[event.job.requester.chat_id][event.event_type] = event.occurred_at

    def mono(event_time: datetime) -> float:
        return event_time.timestamp() - wall_minus_mono

    overheads: list[float] = []
    hops: dict[str, list[float]] = {hop: [] for hop in HOPS}
    for i, chat in enumerate(chats[WARM_UP:], start=WARM_UP):
        messages = chat_messages[chat]
        e2e = end_to_end(messages)
        job = next((j for p, j in jobs.items() if p and _prompt(i) in p), None)
        stamps = by_chat[chat]
        if e2e is None or job is None or job.finished_at is None or job.started_at is None:
            continue
        overheads.append(e2e - LLM_LATENCY - (job.finished_at - job.started_at))
        asked = next(m.created_at for m in messages if not m.from_bot)
        status = status_messages(messages)[0].created_at
        photo = next(m.created_at for m in messages if m.photo is not None)
        points = [
            asked,
            status,
            mono(stamps["image.requested"]),
            mono(stamps["prompt.enhanced"]) - LLM_LATENCY,
            mono(stamps["image.started"]) - LLM_LATENCY,
            job.started_at - LLM_LATENCY,
            mono(stamps["image.generated"]) - LLM_LATENCY - (job.finished_at - job.started_at),
            photo - LLM_LATENCY - (job.finished_at - job.started_at),
        ]
        for hop, start, end in zip(HOPS, points, points[1:], strict=False):
            hops[hop].append(end - start)
    summary = summarise(overheads)
    rows = [
        Row(
            f"pipeline overhead p50/p99, ms ({len(overheads)} requests, one at a time)",
            f"{ms(summary.p50)} / {ms(summary.p99)}",
            "",
            "p50 ≤ 15 ms",
            summary.p50 <= TARGET_P50,
        )
    ]
    hop_p50 = {hop: summarise(values).as_dict() for hop, values in hops.items()}
    notes = [
        "p50 per hop, ms: "
        + "; ".join(f"{hop} {ms(stats['p50'])}" for hop, stats in hop_p50.items())
    ]
    return Outcome("overhead", rows, {"overhead": summary.as_dict(), "hops": hop_p50}, notes)
