"""Memory: peak RSS of each service while 5 MiB images pass through (the worker stand-in
pads its PNGs to that size). Peak RSS above the idle RSS, divided by the image size, says
how many image-sized buffers a process held at once: first with one image at a time
(copies of one image), then with a burst (copies × images in flight).
"""

from __future__ import annotations

import time
from typing import Any

from easel_devtools.bench import procs
from easel_devtools.bench.plan import Plan
from easel_devtools.bench.report import Outcome, Row
from easel_devtools.bench.rig import Rig

IMAGE_BYTES = 5 * 1024 * 1024
MAX_COPIES = 2.0
SERVICES = ("gateway", "enhancer", "generator", "notifier")
ONE_AT_A_TIME = 5


async def run(plan: Plan) -> Outcome:
    # A fresh system per phase: memory the first phase made the allocator keep would
    # otherwise count as idle in the second.
    single = await _phase(ONE_AT_A_TIME, at_once=False)
    burst = await _phase(plan.memory_images, at_once=True)
    worst = max(single["copies"].values())
    rows = [
        Row(
            "memory, one 5 MiB image at a time: peak RSS above idle, in images",
            _per_service(single["copies"]),
            _peaks(single["usage"]),
            "≤ 2 per process",
            worst <= MAX_COPIES and single["intact"],
        ),
        Row(
            f"  {plan.memory_images} images of 5 MiB at once: peak RSS above idle, in images",
            _per_service(burst["copies"]),
            _peaks(burst["usage"]),
            "",
            None,
        ),
    ]
    notes = [] if burst["intact"] and single["intact"] else ["some photos were not 5 MiB"]
    return Outcome("memory", rows, {"one_at_a_time": single, "burst": burst}, notes)


async def _phase(count: int, *, at_once: bool) -> dict[str, Any]:
    async with Rig(image_size=IMAGE_BYTES) as rig:
        window = procs.Window({n: pid for n, pid in rig.pids().items() if n in SERVICES})
        window.open(time.monotonic())
        chats = []
        for i in range(count):
            chats.append(rig.send(f"memory image {i}"))
            if not at_once:
                await rig.wait_delivered(i + 1, timeout=60)
        await rig.wait_delivered(count, timeout=count * 2 + 120)
        usage = window.close(time.monotonic())
        sizes = [len(photo) for chat in chats for photo, _ in rig.telegram.photos(chat)]
    copies = {
        name: (u.peak_rss_mib - u.rss_before_mib) * procs.MIB / IMAGE_BYTES
        for name, u in usage.items()
    }
    return {
        "images": count,
        "copies": copies,
        "usage": {name: vars(u) for name, u in usage.items()},
        "intact": len(sizes) == count and all(size == IMAGE_BYTES for size in sizes),
    }


def _per_service(copies: dict[str, float]) -> str:
    return ", ".join(f"{name} {value:.1f}" for name, value in copies.items())


def _peaks(usage: dict[str, dict[str, float]]) -> str:
    return "peak RSS MiB: " + ", ".join(
        f"{name} {u['peak_rss_mib']:.0f}" for name, u in usage.items()
    )
