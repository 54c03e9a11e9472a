"""The A1111 stand-in answers as stable-diffusion-webui v1.10's API does, seen through httpx.

Jobs take `service_time`; tests wait on the stand-in's state (`wait_for_async`), never on
the clock, and every wait has a timeout.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from easel_devtools.standins.a1111 import A1111Standin
from easel_devtools.standins.images import png, sniff
from easel_devtools.standins.workers import Behaviour

TXT2IMG = "/sdapi/v1/txt2img"
IMG2IMG = "/sdapi/v1/img2img"


@contextlib.contextmanager
def running(**options: Any) -> Iterator[A1111Standin]:
    with A1111Standin(**options) as standin:
        yield standin
    assert standin.internal_errors == []


@contextlib.asynccontextmanager
async def client(standin: A1111Standin) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=standin.base_url, timeout=10) as http:
        yield http


async def task_progress(http: httpx.AsyncClient, task_id: str) -> dict[str, Any]:
    answer = await http.post("/internal/progress", json={"id_task": task_id})
    assert answer.status_code == 200
    body: dict[str, Any] = answer.json()
    return body


def exception(status: int, detail: str) -> dict[str, str]:
    return {"error": "HTTPException", "detail": detail, "body": "", "errors": f"{status}: {detail}"}


async def test_txt2img_answers_images_the_echoed_request_and_info_as_a_string() -> None:
    request = {
        "prompt": "a red fox",
        "negative_prompt": "blurry",
        "steps": 8,
        "width": 640,
        "height": 384,
        "batch_size": 2,
        "sampler_name": "Euler a",
        "force_task_id": "task(fox)",
        "not_a_field": True,  # pydantic v1 ignores it
    }
    with running() as sd:
        async with client(sd) as http:
            answer = await http.post(TXT2IMG, json=request)
            assert answer.status_code == 200
            body = answer.json()
            assert list(body) == ["images", "parameters", "info"]
            images = [base64.b64decode(image) for image in body["images"]]
            assert len(images) == 2
            assert all(sniff(image) for image in images)
            assert images[0] != images[1]  # one seed each

            parameters = body["parameters"]
            assert parameters["seed"] == -1  # the request as sent; info has the real seed
            assert (parameters["prompt"], parameters["steps"]) == ("a red fox", 8)
            assert (parameters["cfg_scale"], parameters["sampler_index"]) == (7.0, "Euler")
            assert "not_a_field" not in parameters

            assert isinstance(body["info"], str)
            info = json.loads(body["info"])
            seed = info["seed"]
            assert seed != -1
            assert info["all_seeds"] == [seed, seed + 1]
            assert (info["width"], info["height"], info["steps"]) == (640, 384, 8)
            assert (info["sampler_name"], info["negative_prompt"]) == ("Euler a", "blurry")
            assert info["infotexts"][1] == (
                f"a red fox\nNegative prompt: blurry\nSteps: 8, Sampler: Euler a, CFG scale: 7.0,"
                f" Seed: {seed + 1}, Size: 640x384, Model hash: 6ce0161689,"
                " Model: v1-5-pruned-emaonly, Version: v1.10.1"
            )

            assert await task_progress(http, "task(fox)") == {
                "active": False,
                "queued": False,
                "completed": True,
                "progress": None,
                "eta": None,
                "live_preview": None,
                "id_live_preview": -1,
                "textinfo": "Waiting...",
            }
            unknown = await task_progress(http, "task(never)")
            assert (unknown["active"], unknown["queued"], unknown["completed"]) == (False,) * 3
            idle = (await http.get("/sdapi/v1/progress")).json()
            assert (idle["progress"], idle["eta_relative"], idle["current_task"]) == (0, 0, None)
            assert (idle["state"]["job"], idle["state"]["job_count"]) == ("", 0)

            again = await http.post(TXT2IMG, json={**request, "seed": seed})
            assert again.json()["images"] == body["images"]  # same prompt and seed, same image

    [job, repeat] = sd.jobs
    assert (job.task_id, job.endpoint, job.prompt, job.negative_prompt) == (
        "task(fox)",
        "txt2img",
        "a red fox",
        "blurry",
    )
    assert (job.requested_seed, job.seed, repeat.seed) == (-1, seed, seed)
    assert (job.width, job.height, job.steps, job.init_image) == (640, 384, 8, False)
    assert (job.status, job.images, job.interrupted, job.client_gone) == (200, 2, False, False)
    assert sd.completed == ["task(fox)", "task(fox)"]


async def test_sampler_names_resolve_as_the_web_ui_resolves_them() -> None:
    infos = []
    with running() as sd:
        async with client(sd) as http:
            for sampler in ("DPM++ 2M Karras", "No Such Sampler", None):
                answer = await http.post(TXT2IMG, json={"steps": 2, "sampler_name": sampler})
                assert answer.status_code == 200
                infos.append(json.loads(answer.json()["info"]))
    # Old names end with a scheduler label; an unknown name falls back to the first sampler
    # (never a 400); no name means sampler_index, whose default is Euler.
    assert [info["sampler_name"] for info in infos] == ["DPM++ 2M", "DPM++ 2M", "Euler"]
    assert "Sampler: DPM++ 2M, Schedule type: Karras, CFG" in infos[0]["infotexts"][0]
    assert "Schedule type" not in infos[1]["infotexts"][0]
    assert [job.sampler_name for job in sd.jobs] == ["DPM++ 2M", "DPM++ 2M", "Euler"]


async def test_requests_are_validated_as_pydantic_v1_under_fastapi() -> None:
    with running() as sd:
        async with client(sd) as http:
            bad = await http.post(TXT2IMG, json={"steps": "many", "cfg_scale": [7], "width": 1.9})
            assert bad.status_code == 422
            steps = {"loc": ["body", "steps"], "msg": "value is not a valid integer"}
            cfg = {"loc": ["body", "cfg_scale"], "msg": "value is not a valid float"}
            assert bad.json() == {
                "detail": [
                    steps | {"type": "type_error.integer"},
                    cfg | {"type": "type_error.float"},
                ]
            }
            garbled = await http.post(
                TXT2IMG, content=b'{"prompt": ', headers={"Content-Type": "application/json"}
            )
            assert garbled.status_code == 422
            [error] = garbled.json()["detail"]
            assert (error["loc"], error["type"]) == (["body", 11], "value_error.jsondecode")
            assert error["msg"] == "Expecting value: line 1 column 12 (char 11)"
            empty = await http.post(TXT2IMG)
            assert empty.json()["detail"] == [
                {"loc": ["body"], "msg": "field required", "type": "value_error.missing"}
            ]
            listed = await http.post(TXT2IMG, json=["prompt"])
            assert listed.json()["detail"][0]["msg"] == "value is not a valid dict"
            assert sd.jobs == []

            # What pydantic v1 coerces passes: "3" and 512.9 are ints, 42 a string, "no" false.
            loose = {"steps": "3", "width": 512.9, "prompt": 42, "send_images": "no"}
            coerced = await http.post(TXT2IMG, json=loose)
            assert coerced.status_code == 200
            assert coerced.json()["images"] == []  # made, but not sent
    [job] = sd.jobs
    assert (job.steps, job.width, job.prompt, job.images) == (3, 512, "42", 1)
    assert sd.responses[(TXT2IMG, 422)] == 4


async def test_api_auth_guards_sdapi_but_not_internal_progress() -> None:
    with running(auth=("easel", "s3cret")) as sd:
        async with client(sd) as http:
            missing = await http.post(TXT2IMG, json={"steps": 2})
            assert missing.status_code == 401
            assert missing.json() == exception(401, "Not authenticated")
            # handle_exception answers with the body only: HTTPBasic's header is lost.
            assert "www-authenticate" not in missing.headers
            wrong = await http.post(TXT2IMG, json={"steps": 2}, auth=("easel", "guess"))
            assert wrong.json() == exception(401, "Incorrect username or password")
            no_colon = {"Authorization": "Basic " + base64.b64encode(b"easel").decode()}
            garbled = await http.post(TXT2IMG, json={"steps": 2}, headers=no_colon)
            assert garbled.json() == exception(401, "Invalid authentication credentials")
            assert (await http.get("/sdapi/v1/progress")).status_code == 401
            assert (await http.post("/sdapi/v1/interrupt")).status_code == 401
            # FastAPI reads the body before it asks for credentials.
            as_json = no_colon | {"Content-Type": "application/json"}
            unread = await http.post(TXT2IMG, content=b"{", headers=as_json)
            assert unread.status_code == 422

            ok = await http.post(TXT2IMG, json={"steps": 2}, auth=("easel", "s3cret"))
            assert ok.status_code == 200
            assert (await http.post("/internal/progress", json={})).status_code == 200
    assert sd.responses[(TXT2IMG, 401)] == 3
    assert len(sd.jobs) == 1


async def test_progress_moves_a_sampling_step_at_a_time() -> None:
    request = {"prompt": "x", "steps": 10, "n_iter": 2, "force_task_id": "task(p)"}
    with running(service_time=2.0) as sd:
        async with client(sd) as http:
            job = asyncio.create_task(http.post(TXT2IMG, json=request))
            await sd.wait_for_async(lambda: sd.state["sampling_step"] >= 3, timeout=5)
            first = (await http.get("/sdapi/v1/progress")).json()
            state = first["state"]
            assert (state["job"], state["job_count"], state["sampling_steps"]) == (
                "scripts_txt2img",
                2,
                10,
            )
            expected = 0.01 + state["job_no"] / 2 + state["sampling_step"] / 10 / 2
            assert first["progress"] == pytest.approx(expected)
            assert first["eta_relative"] > 0
            assert first["current_task"] is None  # api.py's import-time copy, never updated

            view = (
                await http.post(
                    "/internal/progress", json={"id_task": "task(p)", "id_live_preview": 7}
                )
            ).json()
            assert (view["active"], view["queued"], view["completed"]) == (True, False, False)
            assert 0 < view["progress"] < 1
            assert view["eta"] > 0
            assert view["id_live_preview"] == 7  # no new preview, so the client's id comes back

            await sd.wait_for_async(lambda: sd.state["job_no"] == 1, timeout=5)
            second = (await http.get("/sdapi/v1/progress")).json()
            assert second["progress"] > first["progress"] >= 0.16
            async with asyncio.timeout(5):
                answer = await job
            assert len(answer.json()["images"]) == 2
    assert sd.state["job_no"] == 2


async def test_jobs_queue_behind_one_lock_in_arrival_order() -> None:
    with running(service_time=1.0) as sd:
        async with client(sd) as http:

            async def generate(task_id: str) -> httpx.Response:
                body = {"prompt": task_id, "steps": 4, "force_task_id": task_id}
                return await http.post(TXT2IMG, json=body)

            first = asyncio.create_task(generate("t1"))
            await sd.wait_for_async(lambda: sd.current_task == "t1", timeout=5)
            second = asyncio.create_task(generate("t2"))
            await sd.wait_for_async(lambda: sd.queued == ["t2"], timeout=5)
            third = asyncio.create_task(generate("t3"))
            await sd.wait_for_async(lambda: sd.queued == ["t2", "t3"], timeout=5)

            assert (await task_progress(http, "t1"))["active"]
            for task_id, place in (("t2", "In queue: 1/2"), ("t3", "In queue: 2/2")):
                view = await task_progress(http, task_id)
                assert (view["active"], view["queued"], view["textinfo"]) == (False, True, place)

            async with asyncio.timeout(10):
                answers = await asyncio.gather(first, second, third)
    assert [answer.status_code for answer in answers] == [200, 200, 200]
    jobs = sorted(sd.jobs, key=lambda job: job.started_at or 0)
    assert [job.task_id for job in jobs] == ["t1", "t2", "t3"]
    for earlier, later in itertools.pairwise(jobs):
        assert earlier.finished_at is not None
        assert later.started_at is not None
        assert earlier.finished_at <= later.started_at  # never two at once
    assert (sd.completed, sd.queued) == (["t1", "t2", "t3"], [])


async def test_an_interrupt_ends_the_running_job_which_still_answers_200() -> None:
    request = {"prompt": "x", "steps": 20, "n_iter": 2, "force_task_id": "task(i)"}
    with running(service_time=4.0) as sd:
        async with client(sd) as http:
            assert (await http.post("/sdapi/v1/interrupt")).json() == {}  # idle: nothing to stop
            job = asyncio.create_task(http.post(TXT2IMG, json=request))
            # begin() cleared the idle interrupt, so the job is sampling.
            await sd.wait_for_async(lambda: sd.state["sampling_step"] >= 2, timeout=5)
            assert (await http.post("/sdapi/v1/interrupt")).status_code == 200
            async with asyncio.timeout(5):
                answer = await job
            assert answer.status_code == 200
            body = answer.json()
            # The first batch stopped after its current step; the second never started.
            assert len(body["images"]) == 1
            info = json.loads(body["info"])
            assert (len(info["all_seeds"]), len(info["infotexts"])) == (2, 1)
            assert (await task_progress(http, "task(i)"))["completed"]

    idle, during = sd.interrupts
    assert (idle.task_id, during.task_id) == (None, "task(i)")
    [record] = sd.jobs
    assert (record.interrupted, record.status, record.images) == (True, 200, 1)
    state = sd.state
    assert (state["interrupted"], state["job_no"], state["job"]) == (True, 1, "")
    assert state["sampling_step"] == 0


async def test_img2img_samples_the_denoised_steps_and_needs_an_init_image() -> None:
    init = base64.b64encode(png("source")).decode()
    request = {
        "prompt": "make it blue",
        "init_images": [init],
        "steps": 10,
        "denoising_strength": 0.5,
        "force_task_id": "task(i2i)",
    }
    with running(service_time=0.5) as sd:
        async with client(sd) as http:
            job = asyncio.create_task(http.post(IMG2IMG, json=request))
            # int(0.5 * 10) + 1 steps: only the denoised part is sampled.
            await sd.wait_for_async(
                lambda: (sd.state["job"], sd.state["sampling_steps"]) == ("scripts_img2img", 6),
                timeout=5,
            )
            async with asyncio.timeout(5):
                answer = await job
            assert answer.status_code == 200
            body = answer.json()
            assert body["parameters"]["init_images"] is None  # include_init_images is false
            info = json.loads(body["info"])
            assert (info["denoising_strength"], info["steps"]) == (0.5, 10)
            assert "Denoising strength: 0.5" in info["infotexts"][0]

            data_uri = {**request, "init_images": [f"data:image/png;base64,{init}"]}
            data_uri["force_task_id"] = "task(uri)"
            assert (await http.post(IMG2IMG, json=data_uri)).status_code == 200

            missing = await http.post(IMG2IMG, json={"prompt": "x"})
            assert missing.status_code == 404
            assert missing.json() == exception(404, "Init image not found")

            garbage = {"init_images": ["bm90IGFuIGltYWdl"], "force_task_id": "task(bad)"}
            broken = await http.post(IMG2IMG, json=garbage)
            assert broken.status_code == 500
            assert broken.json() == exception(500, "Invalid encoded image")
            # The image is decoded before start_task(): the task is left queued for good.
            view = await task_progress(http, "task(bad)")
            assert (view["queued"], view["textinfo"]) == (True, "In queue: 1/1")

    i2i, uri, bad = sd.jobs
    assert (i2i.endpoint, i2i.init_image, i2i.status) == ("img2img", True, 200)
    assert uri.status == 200
    assert (bad.status, bad.seed, bad.images) == (500, None, 0)
    assert sd.responses[(IMG2IMG, 404)] == 1


async def test_scripted_failures_answer_the_web_ui_error_body() -> None:
    with running() as sd:
        sd.script([Behaviour(500), Behaviour(503, body={"error": "busy"}, retry_after=7)])
        sd.script([Behaviour(html=True)])
        async with client(sd) as http:
            crashed = await http.post(TXT2IMG, json={"force_task_id": "task(oom)"})
            assert crashed.status_code == 500
            assert crashed.json() == {
                "error": "OutOfMemoryError",
                "detail": "",
                "body": "",
                "errors": "CUDA out of memory. Tried to allocate 2.00 GiB",
            }
            # finish_task() never ran: the failed task stays current, never completed.
            view = await task_progress(http, "task(oom)")
            assert (view["active"], view["completed"], view["progress"]) == (True, False, 0)

            busy = await http.post(TXT2IMG, json={})
            assert (busy.status_code, busy.json()) == (503, {"error": "busy"})
            assert busy.headers["Retry-After"] == "7"
            proxy = await http.post(TXT2IMG, json={})
            assert (proxy.status_code, proxy.headers["Content-Type"]) == (
                200,
                "text/html; charset=utf-8",
            )

            assert (await http.post(TXT2IMG, json={"steps": 2})).status_code == 200
            view = await task_progress(http, "task(oom)")  # the next job replaced it
            assert (view["active"], view["queued"], view["completed"]) == (False, False, False)
    assert [job.source for job in sd.jobs] == ["script", "script", "script", "normal"]
    assert [job.status for job in sd.jobs] == [500, 503, 200, 200]


async def test_a_gone_client_leaves_its_job_running_and_a_hung_job_holds_the_queue() -> None:
    with running(service_time=0.5) as sd:
        async with client(sd) as http:
            request = {"steps": 5, "force_task_id": "task(gone)"}
            gone = asyncio.create_task(http.post(TXT2IMG, json=request))
            await sd.wait_for_async(lambda: sd.state["sampling_step"] >= 1, timeout=5)
            gone.cancel()
            await sd.wait_for_async(lambda: sd.jobs[0].status == 200, timeout=5)
            [job] = sd.jobs
            assert (job.client_gone, job.images) == (True, 1)
            assert "task(gone)" in sd.completed

            sd.script([Behaviour(hang=True)])
            hung = asyncio.create_task(http.post(TXT2IMG, json={"force_task_id": "task(hung)"}))
            await sd.wait_for_async(lambda: sd.current_task == "task(hung)", timeout=5)
            waiting = asyncio.create_task(http.post(TXT2IMG, json={"force_task_id": "task(next)"}))
            await sd.wait_for_async(lambda: sd.queued == ["task(next)"], timeout=5)
            assert (await task_progress(http, "task(next)"))["queued"]
            # Interrupts do not reach a wedged job; only stopping the server ends it.
            await http.post("/sdapi/v1/interrupt")
            assert sd.current_task == "task(hung)"
            hung.cancel()
            waiting.cancel()
            await sd.wait_for_async(lambda: all(job.client_gone for job in sd.jobs), timeout=5)
    assert [job.status for job in sd.jobs] == [200, None, None]  # stopped, never answered
