"""JOB_DEADLINE_SECONDS: a job past its deadline is not generated; its user hears it failed,
and the message is dead-lettered (reason `deadline`)."""

from __future__ import annotations

from typing import Any

from nats.aio.client import Client
from nats.js import JetStreamContext

from easel import bus
from easel.events import ErrorCode, ImageFailed, ImageGenerated, PromptEnhanced
from easel_devtools.standins import FluxWorkerStandin
from easel_devtools.testing import Letters, Results, enhanced, models
from easel_generator.settings import Settings as GeneratorSettings


async def test_the_generator_fails_a_job_past_its_deadline_without_calling_the_backend(
    nc: Client, js: JetStreamContext, generator: Any
) -> None:
    settings = GeneratorSettings(generator_retry_base_seconds=0.05, job_deadline_seconds=60)
    async with FluxWorkerStandin() as flux:
        results = await Results.watch(nc)
        letters = await Letters.watch(nc)
        async with generator(models(flux.url), settings):
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
