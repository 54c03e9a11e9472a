"""The generator's serve() in-process against a real nats-server and worker stand-ins."""

from __future__ import annotations

import asyncio
import hashlib
import time
from datetime import UTC, datetime
from typing import Any

import pytest
from nats.aio.client import Client
from nats.js import JetStreamContext

from easel import bus
from easel.events import (
    ErrorCode,
    ImageFailed,
    ImageGenerated,
    ImageStarted,
    JobContext,
    PromptEnhanced,
)
from easel.images import ImageReader, ImageWriter
from easel.jobs import Endings, ServiceTimes
from easel.settings import ModelRegistry, load_registry
from easel_devtools.standins import (
    DEFAULT_SDXL_KEY,
    Behaviour,
    FluxWorkerStandin,
    SdxlWorkerStandin,
)
from easel_devtools.testing import Results, sample, settled
from easel_generator.backends import Backend, Failed
from easel_generator.handler import JobHandler
from easel_generator.settings import Settings

SETTINGS = Settings(generator_retry_base_seconds=0.05, generator_ack_wait_seconds=6)


def models(
    flux: FluxWorkerStandin | None = None,
    sdxl: SdxlWorkerStandin | None = None,
    sdxl_key: str = DEFAULT_SDXL_KEY,
) -> ModelRegistry:
    env = {"SDXL_API_KEY": sdxl_key}
    if flux:
        env["FLUX_WORKER_URL"] = flux.url
    if sdxl:
        env["SDXL_WORKER_URL"] = sdxl.url
    return load_registry(env)


def enhanced(job_id: str, model: str = "flux", prompt: str | None = None) -> PromptEnhanced:
    job = JobContext(original_prompt="a cat", requested_at=datetime.now(UTC))
    text = prompt or f"a cat, number {job_id}"
    return PromptEnhanced(job_id=job_id, model=model, job=job, prompt=text, enhanced=True)


async def stored_bytes(js: JetStreamContext, name: str) -> bytes:
    store = await js.object_store(bus.IMAGES_BUCKET)
    data = (await store.get(name)).data
    assert data is not None
    return data


async def test_one_slot_serves_a_model_in_fifo_order(
    nc: Client, js: JetStreamContext, generator: Any
) -> None:
    labels = {"model": "flux", "outcome": "generated"}
    jobs_before = sample("easel_generator_jobs_total", **labels, error_code="")
    timed_before = sample("easel_generator_generation_duration_seconds_count", **labels)
    async with FluxWorkerStandin(service_time=0.15) as flux:
        results = await Results.watch(nc)
        jobs = [enhanced(f"tg_1_{i}") for i in range(5)]
        async with generator(models(flux)) as runtime:
            await asyncio.gather(*(bus.publish(js, job) for job in jobs))
            await results.wait_finished(5)
            assert await runtime.readiness() is None
        assert await runtime.readiness() is not None  # clients closed once serve() ended
    assert flux.prompts == [job.prompt for job in jobs]
    assert [e.job_id for e in results.of(ImageGenerated)] == [job.job_id for job in jobs]
    assert flux.max_concurrency_seen == 1
    assert flux.capacity_violations == 0
    assert sample("easel_generator_in_flight", model="flux") == 0
    assert sample("easel_generator_jobs_total", **labels, error_code="") == jobs_before + 5
    assert sample("easel_generator_generation_duration_seconds_count", **labels) == timed_before + 5


async def test_a_slow_model_does_not_block_another(
    nc: Client, js: JetStreamContext, generator: Any
) -> None:
    async with (
        FluxWorkerStandin(service_time=1.5) as flux,
        SdxlWorkerStandin(service_time=0.1) as sdxl,
    ):
        results = await Results.watch(nc)
        async with generator(models(flux, sdxl)):
            await bus.publish(js, enhanced("tg_2_1", "flux"))
            await flux.wait_for_async(lambda: flux.hits == 1)
            await bus.publish(js, enhanced("tg_2_2", "sdxl"))
            await results.wait_finished(2)
    assert [e.job_id for e in results.of(ImageGenerated)] == ["tg_2_2", "tg_2_1"]
    flux_job, sdxl_job = flux.jobs[0], sdxl.jobs[0]
    assert flux_job.finished_at is not None
    assert sdxl_job.started_at is not None
    assert sdxl_job.finished_at is not None
    assert sdxl_job.started_at < flux_job.finished_at  # they overlapped in time
    assert sdxl_job.finished_at < flux_job.finished_at


async def test_transient_errors_are_retried_and_the_image_stored(
    nc: Client, js: JetStreamContext, generator: Any
) -> None:
    retries_before = sample("easel_generator_backend_retries_total", model="flux")
    fives_before = sample(
        "easel_generator_backend_responses_total", model="flux", status_class="5xx"
    )
    async with FluxWorkerStandin() as flux:
        flux.script([503, 503, 200])
        results = await Results.watch(nc)
        async with generator(models(flux)):
            await bus.publish(js, enhanced("tg_3_1"))
            await results.wait_finished(1)
            data = await stored_bytes(js, "tg_3_1")
    assert flux.hits == 3
    [done] = results.finished()
    assert isinstance(done, ImageGenerated)
    assert done.image.sha256 == flux.jobs[-1].sha256 == hashlib.sha256(data).hexdigest()
    assert (done.image.bucket, done.image.object_name) == (bus.IMAGES_BUCKET, "tg_3_1")
    assert (done.image.size, done.image.content_type) == (len(data), "image/png")
    assert done.prompt == "a cat, number tg_3_1"
    assert done.queued_seconds >= 0
    assert done.generation_seconds > 0
    [started] = results.of(ImageStarted)
    assert started.attempt == 1
    # Sent beside the first request to the worker, yet always before the result.
    assert [type(e) for e in results.events()] == [ImageStarted, ImageGenerated]
    assert sample("easel_generator_backend_retries_total", model="flux") == retries_before + 2
    assert (
        sample("easel_generator_backend_responses_total", model="flux", status_class="5xx")
        == fives_before + 2
    )


async def test_a_wrong_key_fails_at_once_as_auth(
    nc: Client, js: JetStreamContext, generator: Any
) -> None:
    wrong_key = "not-the-sdxl-key"
    before = sample("easel_generator_jobs_total", model="sdxl", outcome="failed", error_code="auth")
    async with SdxlWorkerStandin() as sdxl:
        results = await Results.watch(nc)
        async with generator(models(sdxl=sdxl, sdxl_key=wrong_key)):
            await bus.publish(js, enhanced("tg_3_2", "sdxl"))
            await results.wait_finished(1)
    assert sdxl.hits == 1
    [failed] = results.finished()
    assert isinstance(failed, ImageFailed)
    assert (failed.error_code, failed.retried, failed.attempts) == ("auth", False, 1)
    assert wrong_key not in failed.detail
    assert sdxl.url not in failed.detail
    after = sample("easel_generator_jobs_total", model="sdxl", outcome="failed", error_code="auth")
    assert after == before + 1


@pytest.mark.parametrize(
    ("behaviour", "code"),
    [
        (Behaviour(html=True), "invalid_image"),
        (Behaviour(400, body={"error": "NSFW content flagged by the safety checker"}), "moderated"),
        (Behaviour(422, body={"detail": "prompt too long"}), "bad_request"),
        (Behaviour(404), "bad_request"),
    ],
)
async def test_final_answers_are_not_retried(
    nc: Client, js: JetStreamContext, behaviour: Behaviour, code: str, generator: Any
) -> None:
    async with FluxWorkerStandin() as flux:
        flux.script([behaviour])
        results = await Results.watch(nc)
        async with generator(models(flux)):
            await bus.publish(js, enhanced("tg_3_3"))
            await results.wait_finished(1)
    assert flux.hits == 1
    [failed] = results.finished()
    assert isinstance(failed, ImageFailed)
    assert (failed.error_code, failed.retried, failed.attempts) == (code, False, 1)
    assert "<html" not in failed.detail
    info = await settled(js, bus.PROMPTS, bus.generator_consumer("flux"))
    assert info.delivered.consumer_seq == 1  # a failed job is acked, not redelivered


async def test_persistent_5xx_gives_up_after_four_attempts(
    nc: Client, js: JetStreamContext, generator: Any
) -> None:
    async with SdxlWorkerStandin() as sdxl:
        sdxl.script([502, 503, 500, 503, 200])
        results = await Results.watch(nc)
        async with generator(models(sdxl=sdxl)):
            await bus.publish(js, enhanced("tg_3_4", "sdxl"))
            await results.wait_finished(1)
    assert sdxl.hits == 4
    [failed] = results.finished()
    assert isinstance(failed, ImageFailed)
    assert (failed.error_code, failed.retried, failed.attempts) == ("backend_unavailable", True, 4)
    assert failed.detail == "HTTP 503, 4 attempts"


async def test_retry_after_is_honoured(nc: Client, js: JetStreamContext, generator: Any) -> None:
    async with FluxWorkerStandin() as flux:
        flux.script([Behaviour(429, retry_after=1), 200])
        results = await Results.watch(nc)
        async with generator(models(flux)):
            await bus.publish(js, enhanced("tg_3_5"))
            await results.wait_finished(1)
    first, second = flux.jobs
    assert second.received_at - first.received_at >= 0.95  # not the 0.05 s test backoff
    assert isinstance(results.finished()[0], ImageGenerated)


async def test_an_unreachable_worker_is_backend_unavailable(
    nc: Client, js: JetStreamContext, generator: Any
) -> None:
    flux = FluxWorkerStandin()
    await asyncio.to_thread(flux.start)
    await asyncio.to_thread(flux.stop)  # nothing listens on its port any more
    results = await Results.watch(nc)
    async with generator(models(flux)):
        await bus.publish(js, enhanced("tg_3_6"))
        await results.wait_finished(1)
    [failed] = results.finished()
    assert isinstance(failed, ImageFailed)
    assert (failed.error_code, failed.retried, failed.attempts) == ("backend_unavailable", True, 4)
    assert failed.detail == "network error (ConnectError), 4 attempts"


PROMPT = 'cats & dogs #1? 100% "sure" + a=b; ünïcödé 猫 /path\\ ~'


async def test_prompts_reach_both_backends_verbatim(
    nc: Client, js: JetStreamContext, generator: Any
) -> None:
    async with FluxWorkerStandin() as flux, SdxlWorkerStandin() as sdxl:
        results = await Results.watch(nc)
        async with generator(models(flux, sdxl)):
            await bus.publish(js, enhanced("tg_4_1", "flux", PROMPT))
            await bus.publish(js, enhanced("tg_4_2", "sdxl", PROMPT))
            await results.wait_finished(2)
    assert flux.prompts == [PROMPT]
    assert sdxl.prompts == [PROMPT]
    assert len(results.of(ImageGenerated)) == 2


async def test_a_redelivered_job_whose_image_is_stored_is_not_rendered_again(
    nc: Client, js: JetStreamContext
) -> None:
    """A process that stored and announced the image but died before its ack."""
    async with FluxWorkerStandin() as flux:
        registry = models(flux)
        await bus.provision(js, SETTINGS, registry)
        store = await bus.images_store(js, SETTINGS)
        spec = registry.get("flux")
        assert spec is not None
        event = enhanced("tg_5_1")
        seen = await Results.watch(nc)  # core NATS sees deduplicated publishes too
        async with Backend(spec, 0.05) as backend:
            jobs = JobHandler(
                publish=bus.publisher(js, "test"),
                images=ImageWriter(store),
                photos=ImageReader(js),
                backend=backend,
                endings=Endings(await js.key_value(bus.ENDINGS_BUCKET)),
                service_times=ServiceTimes(await js.key_value(bus.SERVICE_TIMES_BUCKET)),
            )
            first = await jobs.handle(event, bus.Delivery("prompt.enhanced.flux", 1, 1))
            again = await jobs.handle(event, bus.Delivery("prompt.enhanced.flux", 2, 1))
        await seen.wait_for(lambda: len(seen.of(ImageGenerated)) == 2)
    assert first == again == bus.ACK
    assert flux.hits == 1
    announced, reannounced = seen.of(ImageGenerated)
    assert reannounced.image == announced.image
    assert reannounced.image.sha256 == flux.jobs[0].sha256
    assert reannounced.generation_seconds == pytest.approx(announced.generation_seconds, abs=1e-3)
    results = await js.stream_info(bus.RESULTS, subjects_filter="image.generated.flux")
    # The second announcement was deduplicated.
    assert results.state.subjects == {"image.generated.flux": 1}


async def test_many_jobs_drain_quickly(nc: Client, js: JetStreamContext, generator: Any) -> None:
    """No polling between jobs: the next one starts as soon as the previous is acked."""
    async with FluxWorkerStandin() as flux:
        results = await Results.watch(nc)
        async with generator(models(flux)):
            began = time.monotonic()
            await asyncio.gather(*(bus.publish(js, enhanced(f"tg_6_{i}")) for i in range(20)))
            await results.wait_finished(20)
            elapsed = time.monotonic() - began
    assert len(results.of(ImageGenerated)) == 20
    assert elapsed < 8


async def test_a_hanging_backend_times_out_after_the_configured_read_timeout() -> None:
    """GENERATOR_BACKEND_TIMEOUT_SECONDS bounds each attempt (it was a fixed 120 s)."""
    async with FluxWorkerStandin() as flux:
        spec = models(flux).get("flux")
        assert spec is not None
        flux.script([Behaviour(hang=True)] * 4)
        began = time.monotonic()
        async with Backend(spec, 0.01, timeout_seconds=0.3) as backend:
            result = await backend.generate("a cat")
        elapsed = time.monotonic() - began
    assert isinstance(result, Failed)
    assert result.failure.code == ErrorCode.TIMEOUT
    assert result.attempts == 4
    assert flux.hits == 4
    assert 4 * 0.3 <= elapsed < 5
