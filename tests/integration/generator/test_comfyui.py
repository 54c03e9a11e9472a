"""The comfyui kind against the ComfyUI stand-in (HTTP and websocket, ComfyUI's message
order): the job's fields in the workflow, the image from the history, a refused graph
that is never retried, an execution error, and a job given up on: deleted from the
queue while pending, interrupted (by its own id) while running."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import httpx
import pytest

from easel.events import ErrorCode, Params
from easel.settings import ModelSpec
from easel_devtools.standins import png
from easel_devtools.standins.comfyui import (
    IMG2IMG_WORKFLOW_PATH,
    ComfyUIStandin,
    Outcome,
    default_workflow,
)
from easel_generator.backends import Backend, Failed, Generated
from easel_generator.kinds import Photo

WAIT = 10.0
INPUTS = {
    "prompt": "6.inputs.text",
    "negative_prompt": "7.inputs.text",
    "seed": "3.inputs.seed",
    "width": "5.inputs.width",
    "height": "5.inputs.height",
}


@pytest.fixture
def comfy() -> AsyncIterator[ComfyUIStandin]:
    with ComfyUIStandin(service_time=0.1) as standin:
        yield standin
    assert standin.internal_errors == []


def spec(comfy: ComfyUIStandin, size: str = "512x768") -> ModelSpec:
    return ModelSpec(
        name="comfy",
        display_name="ComfyUI",
        backend="comfyui",
        url=comfy.base_url,
        graph=default_workflow(),
        inputs=INPUTS,
        sizes=(size,),
    )


async def test_the_job_is_written_into_the_workflow_and_its_image_fetched(
    comfy: ComfyUIStandin,
) -> None:
    async with Backend(spec(comfy), retry_base_seconds=0.01) as backend:
        result = await backend.generate("a lighthouse at dusk")
    assert isinstance(result, Generated), result
    [record] = comfy.prompts
    assert record.status == "success"
    assert record.positive == "a lighthouse at dusk"
    assert (record.width, record.height) == (512, 768)
    assert result.seed is not None
    assert result.seed == record.seed
    assert bytes(result.data) == png("a lighthouse at dusk", width=512, height=768)
    assert result.content_type == "image/png"
    assert comfy.clients == []  # the websocket was closed after the run


async def test_two_jobs_of_one_prompt_get_their_own_seeds(comfy: ComfyUIStandin) -> None:
    async with Backend(spec(comfy), retry_base_seconds=0.01) as backend:
        first = await backend.generate("an owl")
        second = await backend.generate("an owl")
    assert isinstance(first, Generated)
    assert isinstance(second, Generated)
    assert first.seed != second.seed
    assert [record.status for record in comfy.prompts] == ["success", "success"]


async def test_a_graph_the_server_refuses_is_a_bad_request_tried_once(
    comfy: ComfyUIStandin,
) -> None:
    async with Backend(spec(comfy, size="20000x512"), retry_base_seconds=0.01) as backend:
        result = await backend.generate("too wide")
    assert isinstance(result, Failed), result
    assert result.failure.code is ErrorCode.BAD_REQUEST
    assert result.attempts == 1
    assert [record.status for record in comfy.prompts] == ["rejected"]


async def test_an_execution_error_fails_the_job(comfy: ComfyUIStandin) -> None:
    comfy.script([Outcome(fail_at="KSampler")])
    async with Backend(spec(comfy), retry_base_seconds=0.01) as backend:
        result = await backend.generate("out of memory")
    assert isinstance(result, Failed), result
    assert result.failure.code is ErrorCode.BAD_REQUEST
    assert "KSampler" in result.failure.detail


async def test_a_running_job_given_up_on_is_interrupted_by_its_id(
    comfy: ComfyUIStandin,
) -> None:
    comfy.script([Outcome(stall_at="KSampler")])
    async with Backend(spec(comfy), retry_base_seconds=0.01) as backend:
        job = asyncio.create_task(backend.generate("a stuck render"))
        await comfy.wait_for_async(
            lambda: [r.status for r in comfy.prompts] == ["running"], timeout=WAIT
        )
        job.cancel()
        with pytest.raises(asyncio.CancelledError):
            await job
        await comfy.wait_for_async(lambda: comfy.prompts[0].interrupted, timeout=WAIT)
    [record] = comfy.prompts
    assert comfy.interrupts == [(record.prompt_id, True)]


async def test_a_pending_job_given_up_on_leaves_the_queue(comfy: ComfyUIStandin) -> None:
    # Another client's prompt holds the server; ours waits behind it.
    comfy.script([Outcome(stall_at="KSampler")])
    async with httpx.AsyncClient(base_url=comfy.base_url) as other:
        held = await other.post("/prompt", json={"prompt": default_workflow(), "client_id": "x"})
        assert held.status_code == 200
        async with Backend(spec(comfy), retry_base_seconds=0.01) as backend:
            job = asyncio.create_task(backend.generate("a patient fox"))
            await comfy.wait_for_async(lambda: len(comfy.prompts) == 2, timeout=WAIT)
            job.cancel()
            with pytest.raises(asyncio.CancelledError):
                await job
            await comfy.wait_for_async(lambda: comfy.prompts[1].deleted, timeout=WAIT)
        assert comfy.prompts[0].status == "running"  # the other client's, untouched
        assert comfy.interrupts == []
        await other.post("/interrupt", json={"prompt_id": held.json()["prompt_id"]})


async def test_the_samplers_steps_are_reported_as_progress(comfy: ComfyUIStandin) -> None:
    seen: list[int] = []
    async with Backend(spec(comfy), retry_base_seconds=0.01) as backend:
        result = await backend.generate("a counted render", progress=seen.append)
    assert isinstance(result, Generated), result
    steps = comfy.prompts[0].steps
    assert steps is not None
    assert seen == [100 * n // steps for n in range(1, steps + 1)]


async def test_a_render_that_times_out_is_interrupted_before_the_retry(
    comfy: ComfyUIStandin,
) -> None:
    comfy.script([Outcome(stall_at="KSampler")])
    async with Backend(spec(comfy), retry_base_seconds=0.01, timeout_seconds=2.0) as backend:
        result = await backend.generate("a stalled render")
    assert isinstance(result, Generated), result
    # On a loaded machine a normal render may time out too: every attempt but the last
    # was stopped at the backend, none left running.
    *given_up, last = comfy.prompts
    assert len(given_up) == result.attempts - 1 >= 1
    assert given_up[0].interrupted  # the stalled one did not hold the GPU through the retry
    assert all(p.interrupted or p.deleted for p in given_up)
    assert last.status == "success"


async def test_a_photo_is_uploaded_and_its_workflow_starts_from_it(comfy: ComfyUIStandin) -> None:
    img2img = spec(comfy).model_copy(
        update={
            "graph": json.loads(IMG2IMG_WORKFLOW_PATH.read_text()),
            "inputs": {
                "prompt": "6.inputs.text",
                "seed": "3.inputs.seed",
                "image": "10.inputs.image",
                "strength": "3.inputs.denoise",
            },
            "sizes": (),
        }
    )
    photo = Photo(png("a heron", width=80, height=56), "image/png")
    async with Backend(img2img, retry_base_seconds=0.01) as backend:
        result = await backend.generate("a heron in ink", params=Params(strength=0.3), photo=photo)
    assert isinstance(result, Generated), result
    [record] = comfy.prompts
    assert record.status == "success"
    assert record.source_image is not None
    assert record.source_image.startswith("easel_")
    assert record.source_image.endswith(".png")
    assert record.graph["3"]["inputs"]["denoise"] == 0.3
    assert (record.width, record.height) == (80, 56)  # the photo's: no EmptyLatentImage
