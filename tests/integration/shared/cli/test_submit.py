"""`easel submit` as the command it is: it shows where its job stands in the queue, with
the estimate, and Ctrl-C cancels the job on the way out."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from datetime import UTC, datetime
from pathlib import Path

from nats.js import JetStreamContext

from easel import bus
from easel.events import ImageCancelled, JobContext, PromptEnhanced
from easel.jobs import ServiceTimes
from easel.natsserver import NatsServer

EASEL = str(Path(sys.executable).parent / "easel")


async def line_with(stream: asyncio.StreamReader, text: str, within: float = 20.0) -> str:
    async with asyncio.timeout(within):
        while line := (await stream.readline()).decode():
            if text in line:
                return line
    raise AssertionError(f"the command ended without saying {text!r}")


async def test_submit_shows_its_place_and_ctrl_c_cancels_its_job(
    nats_server: NatsServer, js: JetStreamContext, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NATS_", "FLUX_", "SDXL_"))}
    env |= {"NATS_URL": nats_server.url, "FLUX_WORKER_URL": "http://127.0.0.1:9/generate"}
    command = await asyncio.create_subprocess_exec(
        EASEL, "submit", "flux", "a cat", cwd=tmp_path, env=env, stderr=asyncio.subprocess.PIPE
    )
    assert command.stderr is not None
    try:
        submitted = await line_with(command.stderr, "submitted ")
        job_id = submitted.split()[1].rstrip(";")
        # No enhancer runs here: do what it would, and give FLUX a history to estimate from.
        await ServiceTimes(await js.key_value(bus.SERVICE_TIMES_BUCKET)).record("flux", 8.0)
        context = JobContext(original_prompt="a cat", requested_at=datetime.now(UTC))
        waiting = PromptEnhanced(
            job_id=job_id, model="flux", job=context, prompt="p", enhanced=True
        )
        await bus.publish(js, waiting)
        assert "position 1 in the flux queue · about 10 s" in await line_with(
            command.stderr, "position"
        )
        command.send_signal(signal.SIGINT)
        assert f"{job_id}: cancelled" in await line_with(command.stderr, job_id)
        async with asyncio.timeout(20):
            assert await command.wait() == 130
    finally:
        if command.returncode is None:
            command.kill()
            await command.wait()
    stored = await js.get_last_msg(bus.RESULTS, "image.cancelled.flux")
    assert ImageCancelled.model_validate_json(stored.data or b"").job_id == job_id
    endings = await js.key_value(bus.ENDINGS_BUCKET)
    assert (await endings.get(job_id)).value == b"cancelled"
