"""The a1111 kind against the AUTOMATIC1111 stand-in (its API as modules/api/api.py and
modules/progress.py serve it): the job's fields, the image and the seed it used, basic
auth, errors, and a job given up on interrupting the backend only while it is the one
running."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from pydantic import SecretStr

from easel.events import ErrorCode, Params
from easel.settings import ModelSpec
from easel_devtools.standins import A1111Standin, Behaviour, png
from easel_generator.backends import Backend, Failed, Generated
from easel_generator.kinds import Photo

WAIT = 10.0
AUTH = ("easel", "s3cret")


@pytest.fixture
def forge() -> Iterator[A1111Standin]:
    with A1111Standin(service_time=0.05, auth=AUTH) as standin:
        yield standin
    assert standin.internal_errors == []


def spec(forge: A1111Standin, auth: str = ":".join(AUTH)) -> ModelSpec:
    return ModelSpec(
        name="forge",
        display_name="Forge",
        backend="a1111",
        url=forge.base_url,
        api_key=SecretStr(auth),
        sizes=("832x1216",),
        defaults={"steps": 12, "sampler_name": "Euler a", "negative_prompt": "blurry"},
    )


async def test_the_image_and_its_seed_come_back(forge: A1111Standin) -> None:
    async with Backend(spec(forge), retry_base_seconds=0.01) as backend:
        result = await backend.generate("a lighthouse at dusk")
    assert isinstance(result, Generated), result
    [job] = forge.jobs
    assert (job.endpoint, job.prompt, job.negative_prompt) == (
        "txt2img",
        "a lighthouse at dusk",
        "blurry",
    )
    assert (job.width, job.height, job.steps, job.sampler_name) == (832, 1216, 12, "Euler a")
    assert job.requested_seed == -1
    assert job.seed is not None
    assert result.seed == job.seed
    assert bytes(result.data) == png(f"a lighthouse at dusk|{job.seed}")
    assert job.task_id.startswith("task(")


async def test_wrong_credentials_are_auth_and_not_retried(forge: A1111Standin) -> None:
    async with Backend(spec(forge, auth="easel:wrong"), retry_base_seconds=0.01) as backend:
        result = await backend.generate("a locked door")
    assert isinstance(result, Failed), result
    assert result.failure.code is ErrorCode.AUTH
    assert result.attempts == 1
    assert forge.jobs == []


async def test_a_server_error_is_retried(forge: A1111Standin) -> None:
    forge.script([Behaviour(status=500)])
    async with Backend(spec(forge), retry_base_seconds=0.01) as backend:
        result = await backend.generate("a second chance")
    assert isinstance(result, Generated), result
    assert result.attempts == 2


async def test_a_job_given_up_on_interrupts_its_own_render_only(forge: A1111Standin) -> None:
    forge.service_time = 30.0  # long enough to be given up on mid-render
    async with Backend(spec(forge), retry_base_seconds=0.01) as backend:
        job = asyncio.create_task(backend.generate("a very slow render"))
        await forge.wait_for_async(
            lambda: any(j.started_at is not None for j in forge.jobs), timeout=WAIT
        )
        job.cancel()
        with pytest.raises(asyncio.CancelledError):
            await job
    [render] = forge.jobs
    assert [interrupt.task_id for interrupt in forge.interrupts] == [render.task_id]
    await forge.wait_for_async(lambda: forge.jobs[0].interrupted, timeout=WAIT)


async def test_a_job_given_up_on_while_another_renders_interrupts_nothing(
    forge: A1111Standin,
) -> None:
    forge.service_time = 30.0
    async with (
        Backend(spec(forge), retry_base_seconds=0.01) as ours,
        Backend(spec(forge), retry_base_seconds=0.01) as theirs,
    ):
        other = asyncio.create_task(theirs.generate("someone else's render"))
        await forge.wait_for_async(
            lambda: any(j.started_at is not None for j in forge.jobs), timeout=WAIT
        )
        job = asyncio.create_task(ours.generate("waiting behind it"))
        await forge.wait_for_async(lambda: len(forge.queued) == 1, timeout=WAIT)
        job.cancel()
        with pytest.raises(asyncio.CancelledError):
            await job
        assert forge.interrupts == []  # /internal/progress said ours was not running
        other.cancel()
        with pytest.raises(asyncio.CancelledError):
            await other


async def test_the_renders_progress_is_reported_while_it_runs(forge: A1111Standin) -> None:
    forge.service_time = 2.5  # two or three questions to /internal/progress
    seen: list[int] = []
    async with Backend(spec(forge), retry_base_seconds=0.01) as backend:
        result = await backend.generate("a slow heron", progress=seen.append)
    assert isinstance(result, Generated), result
    assert seen, "no progress reported"
    assert seen == sorted(seen)
    assert all(0 <= percent < 100 for percent in seen)


async def test_a_photo_goes_to_img2img_with_its_strength(forge: A1111Standin) -> None:
    photo = Photo(png("a heron", width=64, height=96), "image/png")
    params = Params(strength=0.4)
    async with Backend(spec(forge), retry_base_seconds=0.01) as backend:
        result = await backend.generate("a heron in ink", params=params, photo=photo)
        plain = await backend.generate("a heron in ink", params=params)  # no photo: txt2img
    assert isinstance(result, Generated), result
    assert isinstance(plain, Generated), plain
    made, text = forge.jobs
    assert (made.endpoint, made.init_image, made.denoising_strength) == ("img2img", True, 0.4)
    assert (text.endpoint, text.init_image, text.denoising_strength) == ("txt2img", False, None)
    assert bytes(result.data) == png(f"a heron in ink|{made.seed}")
