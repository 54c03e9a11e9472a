"""The generator's circuit breaker against a worker stand-in that answers 503, then recovers:
while open, no request reaches the worker and the jobs wait, in order; one trial decides."""

from __future__ import annotations

from typing import Any

from nats.aio.client import Client
from nats.js import JetStreamContext

from easel import bus
from easel.controls import CircuitState
from easel.events import ErrorCode, ImageFailed, ImageGenerated, ImageStarted
from easel_devtools.standins import Behaviour, FluxWorkerStandin
from easel_devtools.testing import Collector, Letters, Results, enhanced, models, sample
from easel_generator.settings import Settings as GeneratorSettings

OPEN_SECONDS = 1.5
SLACK = 0.1  # timers on a busy 2-core machine


def settings(**overrides: float) -> GeneratorSettings:
    values = {
        "generator_retry_base_seconds": 0.05,
        "circuit_failure_threshold": 2,
        "circuit_open_seconds": OPEN_SECONDS,
    }
    return GeneratorSettings(**(values | overrides))


def circuit_open() -> float:
    return sample("easel_circuit_open", model="flux")


async def test_jobs_wait_while_open_and_one_trial_decides(
    nc: Client, js: JetStreamContext, generator: Any
) -> None:
    async with FluxWorkerStandin() as flux:
        # Two failures open the circuit; the first trial fails and reopens it; the second,
        # slow enough to be watched, succeeds and closes it.
        flux.script([503, 503, 503, Behaviour(delay=0.5)])
        results = await Results.watch(nc)
        shared = await Collector.watch(nc, f"$KV.{bus.CONTROLS_BUCKET}.circuit.flux")
        async with generator(models(flux.url), settings()):
            for n in range(3):
                await bus.publish(js, enhanced(f"tg_1_{n}"))
            await flux.wait_for_async(lambda: flux.hits == 4, timeout=10)
            assert circuit_open() == 1  # half-open, its trial in flight
            info = await js.consumer_info(bus.PROMPTS, bus.generator_consumer("flux"))
            # The other two jobs were never handed out: they wait in JetStream, in order.
            assert (info.num_pending, info.num_ack_pending) == (2, 1)
            await results.wait_for(lambda: len(results.of(ImageGenerated)) == 3)
            assert circuit_open() == 0
            # The state at start and each change are shared for /stats, in order.
            await shared.wait_count(6)
    states = [CircuitState.model_validate_json(m.data).state for m in shared.seen]
    assert states == ["closed", "open", "half_open", "open", "half_open", "closed"]
    jobs = flux.jobs
    assert [job.status for job in jobs] == [503, 503, 503, 200, 200, 200]
    for failed, trial in ((jobs[1], jobs[2]), (jobs[2], jobs[3])):
        assert failed.finished_at is not None
        assert trial.received_at - failed.finished_at >= OPEN_SECONDS - SLACK  # nothing sent
    assert [e.job_id for e in results.of(ImageGenerated)] == ["tg_1_0", "tg_1_1", "tg_1_2"]
    assert [e.attempt for e in results.of(ImageStarted)] == [1, 1, 1]  # no redelivery burned
    assert results.of(ImageFailed) == []
    assert flux.capacity_violations == 0


async def test_a_job_waits_for_the_circuit_no_longer_than_its_deadline(
    nc: Client, js: JetStreamContext, generator: Any
) -> None:
    config = settings(circuit_open_seconds=60, job_deadline_seconds=2)
    async with FluxWorkerStandin() as flux:
        flux.script([503, 503])
        results = await Results.watch(nc)
        letters = await Letters.watch(nc)
        async with generator(models(flux.url), config):
            await bus.publish(js, enhanced("tg_2_0"))
            await bus.publish(js, enhanced("tg_2_1", age=0.5))  # due before the first one
            await results.wait_for(lambda: len(results.of(ImageFailed)) == 2)
            await letters.wait_count(2)
            assert circuit_open() == 1  # still open: nothing has tried the backend since
    waited, late = results.of(ImageFailed)
    assert (waited.job_id, waited.error_code) == ("tg_2_0", ErrorCode.BACKEND_UNAVAILABLE)
    assert (waited.attempts, waited.retried) == (2, True)
    assert waited.detail == "the backend stayed unavailable until the job's deadline"
    # Due while the circuit was open: told the backend is down, not just "too long".
    assert (late.job_id, late.error_code, late.attempts) == (
        "tg_2_1",
        ErrorCode.BACKEND_UNAVAILABLE,
        0,
    )
    assert late.detail == "not started within 2 s of the request"
    assert flux.hits == 2
    assert letters.reasons() == ["deadline", "deadline"]
