"""The HTTP front door: what the synchronous API adds over the pipeline itself (instant
backends, no LLM latency, one call at a time), and 1,000 SSE streams on one gateway while
their jobs run: on a gateway serving the API alone (GATEWAY_MODE=api), and on one that
also serves Telegram (aiogram's import alone is 127 MiB).

Added latency = the client's time for POST /v1/images/generations minus the pipeline's
own time for that job (image.requested → image.generated, from the events' timestamps).
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import aiohttp

from easel.events import ImageGenerated, ImageRequested
from easel_devtools.bench import procs
from easel_devtools.bench.plan import Plan
from easel_devtools.bench.report import Outcome, Row, ms
from easel_devtools.bench.rig import MODEL, Rig
from easel_devtools.bench.stats import summarise
from easel_devtools.harness import API_KEY

TARGET_ADDED_P50 = 0.010
TARGET_SSE_RSS_MIB = 150
STREAM_JOBS = 10  # the streams follow this many jobs, STREAMS / STREAM_JOBS each
WARM_UP = 3
_AUTH = {"Authorization": f"Bearer {API_KEY}"}
# One key makes every call here; its rate limit has a test of its own.
_UNLIMITED = {"RATE_LIMIT_REQUESTS": "10000"}


async def run(plan: Plan) -> Outcome:
    added, data = await _added_latency(plan.api_requests)
    streams = await _streams(plan.sse_streams, "api")
    both = await _streams(plan.sse_streams, "polling")
    summary = summarise(added)
    rows = [
        Row(
            f"HTTP API: added over the pipeline p50/p99/max, ms ({len(added)} sync calls)",
            f"{ms(summary.p50)} / {ms(summary.p99)} / {ms(summary.max)}",
            "instant backends, no LLM latency, one call at a time",
            "p50 ≤ 10 ms",
            summary.p50 <= TARGET_ADDED_P50,
        ),
        Row(
            f"  {streams['streams']} SSE streams on one gateway (GATEWAY_MODE=api): peak RSS, MiB",
            f"{streams['peak_rss_mib']:.0f}",
            f"idle before: {streams['idle_rss_mib']:.0f} MiB; a gateway that also serves "
            f"Telegram: {both['peak_rss_mib']:.0f} (idle {both['idle_rss_mib']:.0f}, "
            "aiogram loaded)",
            f"≤ {TARGET_SSE_RSS_MIB}",
            streams["peak_rss_mib"] <= TARGET_SSE_RSS_MIB,
        ),
        Row(
            "  every stream received every change and the final state",
            "yes" if streams["complete"] and both["complete"] else "NO",
            f"{streams['events']} and {both['events']} events in all "
            f"({streams['incomplete']} and {both['incomplete']} incomplete)",
            "every one",
            bool(streams["complete"] and both["complete"]),
        ),
    ]
    return Outcome(
        "api", rows, {"added": summary.as_dict(), **data, "sse": streams, "sse_polling": both}
    )


async def _added_latency(count: int) -> tuple[list[float], dict[str, Any]]:
    async with (
        Rig(env=_UNLIMITED) as rig,
        aiohttp.ClientSession(rig.system.api_url, headers=_AUTH) as http,
    ):
        totals: dict[str, float] = {}
        for n in range(WARM_UP + count):
            prompt = f"api bench {n} end"
            began = time.monotonic()
            async with http.post(
                "/v1/images/generations", json={"model": MODEL, "prompt": prompt}
            ) as answer:
                assert answer.status == 200, await answer.text()
                await answer.read()
            if n >= WARM_UP:
                totals[prompt] = time.monotonic() - began
        events = await rig.events()
    requested = {
        e.job_id: e for e in events if isinstance(e, ImageRequested) and e.job_id.startswith("api_")
    }
    generated = {e.job_id: e for e in events if isinstance(e, ImageGenerated)}
    added = []
    for job_id, asked in requested.items():
        total = totals.get(asked.job.original_prompt)
        done = generated.get(job_id)
        if total is None or done is None:
            continue
        pipeline = (done.occurred_at - asked.occurred_at).total_seconds()
        added.append(total - pipeline)
    return added, {"calls": len(totals), "measured": len(added)}


async def _streams(count: int, mode: str) -> dict[str, Any]:
    # Slow renders, one at a time: the streams stay open through several changes each.
    env = _UNLIMITED | {"GATEWAY_MODE": mode}
    async with Rig(service_time=2.0, capacity=1, env=env) as rig:
        gateway = rig.system["gateway"].pid
        assert gateway is not None
        idle = procs.rss_bytes(gateway)
        procs.reset_peak(gateway)
        connector = aiohttp.TCPConnector(limit=0)
        async with aiohttp.ClientSession(
            rig.system.api_url, headers=_AUTH, connector=connector
        ) as http:
            jobs = []
            for n in range(STREAM_JOBS):
                async with http.post(
                    "/v1/jobs", json={"model": MODEL, "prompt": f"followed {n}"}
                ) as made:
                    jobs.append((await made.json())["id"])
            per_job = max(1, count // STREAM_JOBS)
            seen = await asyncio.gather(
                *(_follow(http, job) for job in jobs for _ in range(per_job))
            )
        peak = procs.peak_rss_bytes(gateway)
    finals = [states[-1] if states else None for states in seen]
    incomplete = sum(1 for state in finals if state != "succeeded")
    return {
        "streams": len(seen),
        "jobs": len(jobs),
        "events": sum(len(states) for states in seen),
        "idle_rss_mib": idle / 2**20,
        "peak_rss_mib": peak / 2**20,
        "complete": incomplete == 0,
        "incomplete": incomplete,
    }


async def _follow(http: aiohttp.ClientSession, job_id: str) -> list[str]:
    """The states one SSE client saw, until the server ended the stream."""
    states = []
    async with http.get(f"/v1/jobs/{job_id}/events", timeout=aiohttp.ClientTimeout(300)) as r:
        async for raw in r.content:
            line = raw.decode().rstrip("\n")
            if line.startswith("data: "):
                states.append(json.loads(line[6:])["state"])
    return states
