"""JOB_DEADLINE_SECONDS: a job past its deadline is not enhanced or generated; its user hears
it failed, and the message is dead-lettered (reason `deadline`)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from faults_support import (
    REGISTRY,
    Letters,
    Results,
    enhanced,
    generator,
    models,
    requested,
)
from nats.aio.client import Client
from nats.js import JetStreamContext

from easel import bus
from easel.events import ErrorCode, ImageFailed, ImageGenerated, PromptEnhanced
from easel.runtime import Runtime
from easel_enhancer.__main__ import serve as serve_enhancer
from easel_enhancer.settings import Settings as EnhancerSettings
from easel_generator.settings import Settings as GeneratorSettings
from standins import FluxWorkerStandin


@asynccontextmanager
async def enhancer(nc: Client, js: JetStreamContext) -> AsyncIterator[None]:
    settings = EnhancerSettings(llm_base_url=None, job_deadline_seconds=60)
    await bus.provision(js, settings, REGISTRY)
    stop = asyncio.Event()
    task = asyncio.create_task(serve_enhancer(Runtime(settings, REGISTRY, nc, js, stop)))
    try:
        yield
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=15)


async def test_the_generator_fails_a_job_past_its_deadline_without_calling_the_backend(
    nc: Client, js: JetStreamContext
) -> None:
    settings = GeneratorSettings(generator_retry_base_seconds=0.05, job_deadline_seconds=60)
    async with FluxWorkerStandin() as flux:
        results = await Results.watch(nc)
        letters = await Letters.watch(nc)
        async with generator(nc, js, models(flux.url), settings):
            await bus.publish(js, enhanced("tg_1_late", age=61))
            await bus.publish(js, enhanced("tg_1_fresh", age=50))
            await results.wait_for(lambda: bool(results.of(ImageGenerated)))
            await letters.wait_count(1)
    [late] = results.of(ImageFailed)
    assert (late.job_id, late.error_code, late.attempts) == ("tg_1_late", ErrorCode.TIMEOUT, 0)
    assert late.detail == "not started within 60 s of the request"
    assert [e.job_id for e in results.of(ImageGenerated)] == ["tg_1_fresh"]
    assert flux.prompts == ["a cat, tg_1_fresh"]  # the late one never reached the backend
    [letter] = letters.seen
    assert letter.headers[bus.DlqHeader.REASON] == "deadline"
    assert PromptEnhanced.model_validate_json(letter.data).job_id == "tg_1_late"


async def test_the_enhancer_fails_late_jobs_and_unknown_models(
    nc: Client, js: JetStreamContext
) -> None:
    results = await Results.watch(nc)
    letters = await Letters.watch(nc)
    prompts = await nc.subscribe("prompt.enhanced.>")
    async with enhancer(nc, js):
        await bus.publish(js, requested("tg_2_late", age=61))
        await bus.publish(js, requested("tg_2_unknown", model="kandinsky"))
        await bus.publish(js, requested("tg_2_fresh"))
        fresh = PromptEnhanced.model_validate_json((await prompts.next_msg(timeout=10)).data)
        await letters.wait_count(2)
        await results.wait_count(2)
    assert fresh.job_id == "tg_2_fresh"
    failures = {e.job_id: e.error_code for e in results.of(ImageFailed)}
    assert failures == {"tg_2_late": ErrorCode.TIMEOUT, "tg_2_unknown": ErrorCode.UNKNOWN_MODEL}
    assert sorted(letters.reasons()) == ["deadline", "unknown_model"]
    assert {s.headers[bus.DlqHeader.CONSUMER] for s in letters.seen} == {bus.ENHANCER}
    assert (await js.stream_info(bus.PROMPTS)).state.messages == 1
