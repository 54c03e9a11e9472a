"""The generator as real processes: SIGKILL mid-job, and replicas sharing a model's queue."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import cast

import pytest
from nats.js import JetStreamContext

from easel import bus
from easel.events import ImageFailed, ImageGenerated, ImageStarted, JobContext, PromptEnhanced
from easel.natsserver import NatsServer
from easel.settings import EaselSettings, load_registry
from easel_devtools.standins import DEFAULT_SDXL_KEY, FluxWorkerStandin
from easel_devtools.testing import settled

GENERATOR = Path(sys.executable).parent / "easel-generator"
Result = ImageStarted | ImageGenerated | ImageFailed
FLUX_QUEUE = (bus.PROMPTS, bus.generator_consumer("flux"))
RESULT_DECODER = bus.decoder(ImageStarted, ImageGenerated, ImageFailed)


def decode_result(data: bytes) -> Result:
    return cast(Result, RESULT_DECODER.validate_json(data))


class Generators:
    """Spawns `easel-generator` processes; stops whatever is left at the end."""

    def __init__(self, tmp_path: Path, nats_url: str, flux: FluxWorkerStandin) -> None:
        self._dir = tmp_path
        self._nats_url = nats_url
        self._flux = flux
        self.procs: list[subprocess.Popen[bytes]] = []

    def spawn(self, **env: str) -> subprocess.Popen[bytes]:
        log = (self._dir / f"generator-{len(self.procs)}.log").open("wb")
        full_env = {
            "PATH": os.environ.get("PATH", ""),
            "NATS_URL": self._nats_url,
            "FLUX_WORKER_URL": self._flux.url,
            "SDXL_WORKER_URL": "http://127.0.0.1:9/generate",
            "SDXL_API_KEY": DEFAULT_SDXL_KEY,
            "METRICS_PORT": "0",
            "LOG_FORMAT": "console",
            "GENERATOR_RETRY_BASE_SECONDS": "0.05",
            **env,
        }
        # cwd: an empty directory, so no developer's .env leaks into the test.
        proc = subprocess.Popen(
            [str(GENERATOR)], env=full_env, cwd=self._dir, stdout=log, stderr=log
        )
        log.close()
        self.procs.append(proc)
        return proc

    def logs(self) -> str:
        return "\n".join(
            f"--- {path.name}\n{path.read_text(errors='replace')}"
            for path in sorted(self._dir.glob("generator-*.log"))
        )

    def stop_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.fixture
def flux() -> Iterator[FluxWorkerStandin]:
    with FluxWorkerStandin() as worker:
        yield worker


@pytest.fixture
def generators(
    tmp_path: Path, nats_server: NatsServer, flux: FluxWorkerStandin
) -> Iterator[Generators]:
    spawned = Generators(tmp_path, nats_server.url, flux)
    yield spawned
    spawned.stop_all()
    print(spawned.logs())  # shown by pytest when the test failed


def job(job_id: str) -> PromptEnhanced:
    context = JobContext(original_prompt="a cat", requested_at=datetime.now(UTC))
    return PromptEnhanced(
        job_id=job_id, model="flux", job=context, prompt=f"a cat, {job_id}", enhanced=True
    )


async def provision(js: JetStreamContext, flux: FluxWorkerStandin, **env: str) -> None:
    """The layout the processes will also provision, so jobs can be published first."""
    settings = EaselSettings(generator_ack_wait_seconds=float(env.pop("ack_wait", "30")))
    registry = load_registry({"FLUX_WORKER_URL": flux.url, **env})
    await bus.provision(js, settings, registry)


async def results(js: JetStreamContext) -> list[Result]:
    """Everything in EASEL_RESULTS, read back from the stream itself."""
    state = (await js.stream_info(bus.RESULTS)).state
    if state.messages == 0:
        return []
    found = []
    for seq in range(state.first_seq, state.last_seq + 1):
        found.append(decode_result((await js.get_msg(bus.RESULTS, seq)).data or b""))
    return found


async def test_a_killed_generator_s_job_is_redone_once_by_another(
    js: JetStreamContext, flux: FluxWorkerStandin, generators: Generators
) -> None:
    flux.service_time = 1.5
    env = {"GENERATOR_ACK_WAIT_SECONDS": "2"}
    await provision(js, flux, ack_wait="2")
    await bus.publish(js, job("tg_7_1"))
    first = generators.spawn(**env)
    await flux.wait_for_async(lambda: flux.hits == 1, timeout=20)
    first.send_signal(signal.SIGKILL)
    assert await asyncio.to_thread(first.wait, 10) == -signal.SIGKILL
    generators.spawn(**env)
    await settled(js, *FLUX_QUEUE, 1, within=30)
    generated = [e for e in await results(js) if isinstance(e, ImageGenerated)]
    assert [e.job_id for e in generated] == ["tg_7_1"]  # exactly once in EASEL_RESULTS
    assert flux.hits == 2  # the worker saw it again: it came from a redelivery
    assert generated[0].image.sha256 == flux.jobs[1].sha256
    assert flux.capacity_violations == 0


async def test_two_replicas_keep_fifo_at_capacity_one(
    js: JetStreamContext, flux: FluxWorkerStandin, generators: Generators
) -> None:
    flux.service_time = 0.3
    await provision(js, flux)
    backlog = [job(f"tg_8_{i}") for i in range(6)]
    for item in backlog:
        await bus.publish(js, item)
    generators.spawn()
    generators.spawn()
    await settled(js, *FLUX_QUEUE, len(backlog), within=30)
    assert flux.prompts == [item.prompt for item in backlog]
    assert flux.max_concurrency_seen == 1
    assert flux.capacity_violations == 0
    generated = [e.job_id for e in await results(js) if isinstance(e, ImageGenerated)]
    assert generated == [item.job_id for item in backlog]


async def test_two_replicas_fill_capacity_two_and_never_more(
    js: JetStreamContext, flux: FluxWorkerStandin, generators: Generators
) -> None:
    flux.service_time = 0.4
    flux.capacity = 2
    await provision(js, flux, FLUX_CAPACITY="2")
    backlog = [job(f"tg_9_{i}") for i in range(6)]
    for item in backlog:
        await bus.publish(js, item)
    generators.spawn(FLUX_CAPACITY="2")
    generators.spawn(FLUX_CAPACITY="2")
    await settled(js, *FLUX_QUEUE, len(backlog), within=30)
    assert flux.max_concurrency_seen == 2
    assert flux.capacity_violations == 0
    assert sorted(flux.prompts) == sorted(item.prompt for item in backlog)
    generated = {e.job_id for e in await results(js) if isinstance(e, ImageGenerated)}
    assert generated == {item.job_id for item in backlog}
