"""One FIFO for both front doors: Telegram users and an API client ask the same model in
turn (Telegram, API, Telegram, …) while its generator is stopped, so every job waits.
Each is told its place: the Telegram user in the status message, the API client in
GET /v1/jobs/{id}. Then the generator starts, and the worker must render the jobs in the
order they were asked, whichever door they came through.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from dataclasses import dataclass

import aiohttp

from easel import bus
from easel_devtools.bench.plan import Plan
from easel_devtools.bench.report import Outcome, Row
from easel_devtools.bench.rig import MODEL, Rig, StreamWatch
from easel_devtools.harness import API_KEY

SERVICE_TIME = 0.2  # seconds a render takes: the queue drains in a few seconds
WAIT = 60.0
_AUTH = {"Authorization": f"Bearer {API_KEY}"}
_UNLIMITED = {"RATE_LIMIT_REQUESTS": "10000"}  # one key asks for every API job here
_PLACE = re.compile(r"queue: position (\d+)")
_ASKED = re.compile(r"fifo (\d+) end")


@dataclass
class Asked:
    door: str  # "telegram" | "api"
    ref: str  # the chat, or the job id
    told: int | None = None  # the place the user was shown while everything waited


async def run(plan: Plan) -> Outcome:
    count = plan.fifo_jobs
    async with (
        Rig(service_time=SERVICE_TIME, env=_UNLIMITED) as rig,
        aiohttp.ClientSession(rig.system.api_url, headers=_AUTH) as http,
    ):
        for generator in rig.generators():
            await asyncio.to_thread(generator.terminate)
        asked: list[Asked] = []
        async with StreamWatch(rig.system.nats.url, bus.PROMPTS, f"prompt.enhanced.{MODEL}") as w:
            for n in range(count):
                prompt = f"fifo {n} end"
                if n % 2 == 0:
                    asked.append(Asked("telegram", str(rig.send(prompt))))
                else:
                    body = {"model": MODEL, "prompt": prompt}
                    async with http.post("/v1/jobs", json=body) as answer:
                        assert answer.status == 202, await answer.text()
                        asked.append(Asked("api", (await answer.json())["id"]))
                await w.wait_for(n + 1, WAIT)  # in line before the next one asks
        await _told(rig, http, asked)
        for generator in rig.generators():
            generator.start()
        await rig.telegram.wait_for_async(
            lambda: rig.delivered() >= sum(a.door == "telegram" for a in asked), timeout=WAIT
        )
        await rig.flux.wait_done(count, WAIT)
        rendered = [
            int(m[1])
            for job in sorted(rig.flux.jobs(), key=lambda j: j.received_at)
            if (m := _ASKED.search(job.prompt or ""))
        ]
    right = {
        door: sum(1 for n, a in enumerate(asked, 1) if a.door == door and a.told == n)
        for door in ("telegram", "api")
    }
    of = {door: sum(1 for a in asked if a.door == door) for door in ("telegram", "api")}
    in_order = rendered == list(range(count))
    rows = [
        Row(
            f"one FIFO, two front doors: places told right ({count} jobs, Telegram and API "
            "in turn)",
            f"Telegram {right['telegram']}/{of['telegram']}, API {right['api']}/{of['api']}",
            "Telegram: the status message; API: GET /v1/jobs/{id}",
            "every one",
            right == of,
        ),
        Row(
            "  rendered in the order asked",
            "yes" if in_order else f"NO: {rendered}",
            f"{len(rendered)} renders",
            "yes",
            in_order,
        ),
    ]
    told = [(a.door, a.told) for a in asked]
    return Outcome("fifo", rows, {"told": told, "rendered": rendered})


async def _told(rig: Rig, http: aiohttp.ClientSession, asked: list[Asked]) -> None:
    """Each user's place as shown to them, once every status shows one (or WAIT passes)."""
    for item in asked:
        if item.door == "api":
            async with http.get(f"/v1/jobs/{item.ref}") as answer:
                item.told = (await answer.json()).get("position")

    def shown() -> bool:
        for item in asked:
            if item.door == "telegram":
                item.told = _place(rig, int(item.ref))
        return all(a.told is not None for a in asked if a.door == "telegram")

    with contextlib.suppress(TimeoutError):  # the figure reports the places never shown
        await rig.telegram.wait_for_async(shown, timeout=WAIT)
    shown()


def _place(rig: Rig, chat: int) -> int | None:
    """The place the chat's status message shows now."""
    for message in rig.telegram.messages(chat):
        status = message.from_bot and message.photo is None
        if status and (match := _PLACE.search(message.texts[-1])):
            return int(match[1])
    return None
