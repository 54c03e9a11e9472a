"""JOB_DEADLINE_SECONDS: a job past its deadline is not enhanced; its user hears it failed,
and the message is dead-lettered (reason `deadline`), as is a job for an unknown model."""

from __future__ import annotations

from typing import Any

from nats.aio.client import Client
from nats.js import JetStreamContext

from easel import bus
from easel.events import ErrorCode, ImageFailed, PromptEnhanced
from easel_devtools.testing import Letters, Results, requested
from easel_enhancer.settings import Settings


async def test_the_enhancer_fails_late_jobs_and_unknown_models(
    nc: Client, js: JetStreamContext, enhancer: Any
) -> None:
    results = await Results.watch(nc)
    letters = await Letters.watch(nc)
    prompts = await nc.subscribe("prompt.enhanced.>")
    async with enhancer(Settings(llm_base_url=None, job_deadline_seconds=60)):
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
    prompts = await js.stream_info(bus.PROMPTS, subjects_filter="prompt.enhanced.*")
    assert prompts.state.subjects == {"prompt.enhanced.flux": 1}
