"""The ComfyUI stand-in behaves like ComfyUI, seen through httpx and aiohttp's WebSocket client.

Message order, field names and status codes follow ComfyUI's server.py, execution.py and
main.py. Waits are on messages or on `wait_for_async`, never on sleeps, and all have timeouts.
"""

from __future__ import annotations

import asyncio
import json
import struct
from collections.abc import AsyncIterator, Iterator
from typing import Any

import aiohttp
import httpx
import pytest

from easel_devtools.standins.comfyui import (
    DEFAULT_CHECKPOINT,
    ComfyUIStandin,
    Outcome,
    default_workflow,
)
from easel_devtools.standins.images import ImageInfo, png, sniff
from easel_devtools.standins.workers import Behaviour

Message = dict[str, Any]
# Broadcast to every socket whoever submitted the prompt.
BROADCAST = {"status", "progress_state"}


class Listener:
    """One /ws client: JSON messages in arrival order; binary frames kept apart."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.frames: list[bytes] = []

    async def next(self) -> Message:
        async with asyncio.timeout(5):
            while True:
                received = await self.ws.receive()
                if received.type == aiohttp.WSMsgType.BINARY:
                    self.frames.append(received.data)
                    continue
                assert received.type == aiohttp.WSMsgType.TEXT, f"socket ended: {received}"
                message: Message = json.loads(received.data)
                return message

    async def until(self, kind: str, **fields: Any) -> list[Message]:
        """Messages up to and including the first `kind` whose data has these fields."""
        seen = []
        async with asyncio.timeout(10):
            while True:
                message = await self.next()
                seen.append(message)
                data = message["data"]
                if message["type"] == kind and all(data.get(k) == v for k, v in fields.items()):
                    return seen

    async def ended(self, prompt_id: str) -> list[Message]:
        """Everything up to the `executing: null` that closes a prompt for its client."""
        return await self.until("executing", node=None, prompt_id=prompt_id)


async def listen(session: aiohttp.ClientSession, comfy: ComfyUIStandin, client: str) -> Listener:
    async with asyncio.timeout(5):
        listener = Listener(await session.ws_connect(comfy.ws_url(client)))
    hello = await listener.next()
    assert hello["type"] == "status"
    assert hello["data"]["sid"] == client
    return listener


def txt2img(text: str = "a red fox", *, seed: int = 7, steps: int = 3) -> dict[str, Any]:
    """The default workflow with a caller's inputs written into their nodes."""
    graph = default_workflow()
    graph["6"]["inputs"]["text"] = text
    graph["3"]["inputs"].update(seed=seed, steps=steps)
    graph["5"]["inputs"].update(width=64, height=48)
    graph["9"]["inputs"]["filename_prefix"] = "easel"
    return graph


def img2img(image: str, text: str) -> dict[str, Any]:
    graph = txt2img(text)
    del graph["5"]
    graph["10"] = {"inputs": {"image": image}, "class_type": "LoadImage"}
    graph["11"] = {"inputs": {"pixels": ["10", 0], "vae": ["4", 2]}, "class_type": "VAEEncode"}
    graph["3"]["inputs"].update(latent_image=["11", 0], denoise=0.6)
    return graph


async def submit(http: httpx.AsyncClient, graph: dict[str, Any], **extra: Any) -> str:
    reply = await http.post("/prompt", json={"prompt": graph, **extra})
    assert reply.status_code == 200, reply.text
    prompt_id: str = reply.json()["prompt_id"]
    return prompt_id


def flow(messages: list[Message]) -> list[tuple[str, Any]]:
    """The prompt's own messages as (type, node)."""
    return [(m["type"], m["data"].get("node")) for m in messages if m["type"] not in BROADCAST]


def kinds(messages: list[Message]) -> list[str]:
    return [m["type"] for m in messages if m["type"] not in BROADCAST]


async def history(http: httpx.AsyncClient, prompt_id: str) -> dict[str, Any]:
    entries: dict[str, Any] = (await http.get(f"/history/{prompt_id}")).json()
    return entries


@pytest.fixture
def comfy() -> Iterator[ComfyUIStandin]:
    with ComfyUIStandin(service_time=0.05) as standin:
        yield standin
    assert standin.internal_errors == []


@pytest.fixture
async def http(comfy: ComfyUIStandin) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=comfy.base_url, timeout=5) as client:
        yield client


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


# -- a prompt from POST to /view ---------------------------------------------------------


async def test_a_prompt_streams_comfyuis_messages_then_lands_in_history(
    comfy: ComfyUIStandin, http: httpx.AsyncClient, session: aiohttp.ClientSession
) -> None:
    comfy.script([Outcome(extra_time=0.9)])  # time to look at it while it samples
    fox = await listen(session, comfy, "fox-client")
    bystander = await listen(session, comfy, "bystander")
    reply = await http.post("/prompt", json={"prompt": txt2img(), "client_id": "fox-client"})
    assert reply.status_code == 200
    pid = reply.json()["prompt_id"]
    assert reply.json() == {"prompt_id": pid, "number": 0, "node_errors": {}}

    started = await fox.until("progress")
    assert await history(http, pid) == {}  # nothing until the prompt has finished
    assert comfy.prompt(pid).status == "running"
    messages = started + await fox.ended(pid)

    assert flow(messages) == [
        ("execution_start", None),
        ("execution_cached", None),
        *[("executing", node) for node in ("4", "6", "7", "5", "3")],
        *[("progress", "3")] * 3,
        ("executing", "8"),
        ("executing", "9"),
        ("executed", "9"),
        ("execution_success", None),
        ("executing", None),
    ]
    own = [m["data"] for m in messages if m["type"] not in BROADCAST]
    assert all(data["prompt_id"] == pid for data in own)
    assert [(d["value"], d["max"]) for d in own if "value" in d] == [(1, 3), (2, 3), (3, 3)]
    assert all(isinstance(own[i]["timestamp"], int) for i in (0, 1, -2))  # execution_* only
    statuses = [m["data"]["status"] for m in messages if m["type"] == "status"]
    # Queued, taken by the worker (still counted), done.
    assert [s["exec_info"]["queue_remaining"] for s in statuses] == [1, 1, 0]
    final_state = [m for m in messages if m["type"] == "progress_state"][-1]["data"]["nodes"]
    assert {node: s["state"] for node, s in final_state.items()} == dict.fromkeys(
        ["4", "6", "7", "5", "3", "8", "9"], "finished"
    )

    # Other clients see only what ComfyUI broadcasts.
    watched = await bystander.until("status", status={"exec_info": {"queue_remaining": 0}})
    assert {m["type"] for m in watched} == BROADCAST

    [executed] = [m["data"] for m in messages if m["type"] == "executed"]
    [image] = executed["output"]["images"]
    assert image == {"filename": "easel_00001_.png", "subfolder": "", "type": "output"}
    entry = (await history(http, pid))[pid]
    number, prompt_id, graph, extra_data, outputs = entry["prompt"]
    assert (number, prompt_id, outputs) == (0, pid, ["9"])
    assert graph["6"]["inputs"]["text"] == "a red fox"
    assert extra_data["client_id"] == "fox-client"
    assert isinstance(extra_data["create_time"], int)
    assert entry["outputs"] == {"9": executed["output"]}
    assert entry["meta"]["9"] == {
        "node_id": "9",
        "display_node": "9",
        "parent_node": None,
        "real_node_id": "9",
    }
    status = entry["status"]
    assert (status["status_str"], status["completed"]) == ("success", True)
    assert [event for event, _ in status["messages"]] == [
        "execution_start",
        "execution_cached",
        "execution_success",
    ]
    assert pid in (await http.get("/api/history", params={"max_items": 1})).json()

    view = await http.get("/view", params=image)
    assert view.status_code == 200
    assert view.headers["content-type"] == "image/png"
    assert view.content == png("a red fox", width=64, height=48)
    assert sniff(view.content) == ImageInfo("png", 64, 48)
    assert comfy.file("easel_00001_.png") == view.content

    record = comfy.prompt(pid)
    assert (record.positive, record.negative, record.seed, record.steps) == (
        "a red fox",
        "text, watermark",
        7,
        3,
    )
    assert (record.width, record.height, record.batch_size) == (64, 48, 1)
    assert (record.status, record.interrupted, record.deleted) == ("success", False, False)
    assert record.images == [image]


async def test_an_unchanged_graph_is_answered_from_the_cache(
    comfy: ComfyUIStandin, http: httpx.AsyncClient, session: aiohttp.ClientSession
) -> None:
    client = await listen(session, comfy, "c")
    first = await submit(http, txt2img(), client_id="c")
    await client.ended(first)

    again = await submit(http, txt2img(), client_id="c")
    messages = await client.ended(again)
    [cached] = [m["data"]["nodes"] for m in messages if m["type"] == "execution_cached"]
    assert cached == ["3", "4", "5", "6", "7", "8", "9"]
    assert flow(messages)[2:] == [
        ("executed", "9"),
        ("execution_success", None),
        ("executing", None),
    ]
    assert comfy.prompt(again).images == []  # nothing rendered; the same file is named again
    assert (await history(http, again))[again]["outputs"] == (await history(http, first))[first][
        "outputs"
    ]

    reseeded = await submit(http, txt2img(seed=8), client_id="c")
    messages = await client.ended(reseeded)
    [cached] = [m["data"]["nodes"] for m in messages if m["type"] == "execution_cached"]
    assert cached == ["4", "5", "6", "7"]
    assert [node for kind, node in flow(messages) if kind == "executing"] == ["3", "8", "9", None]
    assert [image["filename"] for image in comfy.prompt(reseeded).images] == ["easel_00002_.png"]


async def test_a_prompt_without_a_client_id_is_only_broadcast(
    comfy: ComfyUIStandin, http: httpx.AsyncClient, session: aiohttp.ClientSession
) -> None:
    watcher = await listen(session, comfy, "watcher")
    pid = await submit(http, txt2img())
    messages = await watcher.until("status", status={"exec_info": {"queue_remaining": 0}})
    # progress goes to the prompt's client, and so to everyone when it has none.
    assert set(kinds(messages)) == {"progress"}
    await comfy.wait_for_async(lambda: comfy.prompt(pid).status == "success", timeout=5)
    assert comfy.prompt(pid).client_id is None


# -- refusals -----------------------------------------------------------------------------


async def test_invalid_graphs_get_400_with_comfyuis_node_errors(
    comfy: ComfyUIStandin, http: httpx.AsyncClient
) -> None:
    async def refused(graph: dict[str, Any] | None) -> dict[str, Any]:
        reply = await http.post("/prompt", json={} if graph is None else {"prompt": graph})
        assert reply.status_code == 400
        body: dict[str, Any] = reply.json()
        return body

    failed = {
        "type": "prompt_outputs_failed_validation",
        "message": "Prompt outputs failed validation",
        "details": "",  # ComfyUI details only the output node's own errors
        "extra_info": {},
    }
    no_seed = txt2img()
    del no_seed["3"]["inputs"]["seed"]
    assert await refused(no_seed) == {
        "error": failed,
        "node_errors": {
            "3": {
                "errors": [
                    {
                        "type": "required_input_missing",
                        "message": "Required input is missing",
                        "details": "seed",
                        "extra_info": {"input_name": "seed"},
                    }
                ],
                "dependent_outputs": ["9"],
                "class_type": "KSampler",
            }
        },
    }

    wrong_model = txt2img()
    wrong_model["4"]["inputs"]["ckpt_name"] = "sdxl.safetensors"
    [error] = (await refused(wrong_model))["node_errors"]["4"]["errors"]
    assert (error["type"], error["details"]) == (
        "value_not_in_list",
        f"ckpt_name: 'sdxl.safetensors' not in ['{DEFAULT_CHECKPOINT}']",
    )

    too_small = txt2img()
    too_small["5"]["inputs"]["width"] = 8
    too_small["3"]["inputs"]["steps"] = "many"
    body = await refused(too_small)
    assert {
        node: [e["message"] for e in v["errors"]] for node, v in body["node_errors"].items()
    } == {
        "5": ["Value 8 smaller than min of 16"],
        "3": ["Failed to convert an input value to a INT value"],
    }

    dangling = txt2img()
    dangling["3"]["inputs"]["model"] = ["12", 0]
    body = await refused(dangling)
    [error] = body["node_errors"]["3"]["errors"]
    assert (error["type"], error["details"]) == ("exception_during_inner_validation", "'12'")

    unknown = txt2img()
    unknown["8"]["class_type"] = "VAEDecodeTiled"
    assert await refused(unknown) == {
        "error": {
            "type": "invalid_prompt",
            "message": "Cannot execute because node VAEDecodeTiled does not exist.",
            "details": "Node ID '#8'",
            "extra_info": {},
        },
        "node_errors": {},
    }

    no_output = txt2img()
    del no_output["9"]
    assert (await refused(no_output))["error"]["type"] == "prompt_no_outputs"
    assert (await refused(None))["error"]["type"] == "no_prompt"

    errors = [record.error for record in comfy.prompts]
    assert errors == [
        "prompt_outputs_failed_validation",
        "prompt_outputs_failed_validation",
        "prompt_outputs_failed_validation",
        "prompt_outputs_failed_validation",
        "invalid_prompt",
        "prompt_no_outputs",
        "no_prompt",
    ]
    assert {record.status for record in comfy.prompts} == {"rejected"}
    # Each POST took a queue number before it was refused, as in ComfyUI.
    assert (await http.post("/prompt", json={"prompt": txt2img()})).json()["number"] == 7
    assert (await http.get("/queue")).status_code == 200


# -- the queue ----------------------------------------------------------------------------


async def test_pending_prompts_can_be_deleted_but_not_the_running_one(
    comfy: ComfyUIStandin, http: httpx.AsyncClient, session: aiohttp.ClientSession
) -> None:
    comfy.script([Outcome(stall_at="KSampler")])
    client = await listen(session, comfy, "c")
    running = await submit(http, txt2img("one"), client_id="c")
    await client.until("executing", node="3", prompt_id=running)
    second = await submit(http, txt2img("two"), client_id="c")
    third = await submit(http, txt2img("three"), client_id="c")
    urgent = await submit(http, txt2img("urgent"), client_id="c", front=True)

    queue = (await http.get("/queue")).json()
    assert [item[1] for item in queue["queue_running"]] == [running]
    pending = sorted(queue["queue_pending"])  # listed in heap order: sort by number
    assert [(item[0], item[1]) for item in pending] == [(-3, urgent), (1, second), (2, third)]
    assert all(len(item) == 5 for item in queue["queue_pending"] + queue["queue_running"])

    deleted = await http.post("/queue", json={"delete": [second, running]})
    assert deleted.status_code == 200
    queue = (await http.get("/api/queue")).json()
    assert [item[1] for item in queue["queue_running"]] == [running]
    assert sorted(item[1] for item in queue["queue_pending"]) == sorted([urgent, third])
    assert comfy.prompt(second).deleted
    assert comfy.prompt(running).status == "running"

    await http.post("/queue", json={"clear": True})
    assert (await http.get("/queue")).json()["queue_pending"] == []
    assert (await http.get("/prompt")).json() == {"exec_info": {"queue_remaining": 1}}
    await http.post("/interrupt")
    await client.ended(running)
    for pid in (second, third, urgent):
        assert comfy.prompt(pid).deleted
        assert await history(http, pid) == {}
    assert comfy.prompt(running).interrupted

    after = await submit(http, txt2img("after"), client_id="c")
    await client.ended(after)
    assert comfy.prompt(after).status == "success"


async def test_interrupt_stops_the_running_prompt_or_only_the_one_named(
    comfy: ComfyUIStandin, http: httpx.AsyncClient, session: aiohttp.ClientSession
) -> None:
    comfy.script([Outcome(stall_at="KSampler"), Outcome(extra_time=60)])
    client = await listen(session, comfy, "c")
    first = await submit(http, txt2img("first"), client_id="c")
    await client.until("executing", node="3", prompt_id=first)
    second = await submit(http, txt2img("second", steps=600), client_id="c")

    assert (await http.post("/interrupt", json={"prompt_id": second})).status_code == 200
    assert comfy.interrupts == [(second, False)]  # it is pending, not running: no effect
    await http.post("/interrupt", json={"prompt_id": first})
    messages = await client.ended(first)
    [stopped] = [m["data"] for m in messages if m["type"] == "execution_interrupted"]
    assert stopped == {
        "prompt_id": first,
        "node_id": "3",
        "node_type": "KSampler",
        "executed": ["4", "6", "7", "5"],
        "timestamp": stopped["timestamp"],
    }
    assert "execution_success" not in kinds(messages)
    entry = (await history(http, first))[first]
    assert (entry["status"]["status_str"], entry["status"]["completed"]) == ("error", False)
    assert entry["status"]["messages"][-1][0] == "execution_interrupted"
    assert entry["outputs"] == {}

    # The second samples for a minute in 600 steps; an interrupt without a prompt_id stops
    # it mid-way.
    await client.until("progress", prompt_id=second)
    assert (await http.post("/interrupt")).status_code == 200
    messages = await client.ended(second)
    assert kinds(messages)[-2:] == ["execution_interrupted", "executing"]
    assert comfy.interrupts == [(second, False), (first, True), (None, True)]
    assert comfy.prompt(first).interrupted
    assert comfy.prompt(second).interrupted
    assert comfy.prompt(second).images == []


async def test_a_reconnecting_client_is_told_the_executing_node(
    comfy: ComfyUIStandin, http: httpx.AsyncClient, session: aiohttp.ClientSession
) -> None:
    comfy.script([Outcome(stall_at="VAEDecode")])
    first = await listen(session, comfy, "c")
    pid = await submit(http, txt2img(), client_id="c")
    await first.until("executing", node="8")
    again = await listen(session, comfy, "c")
    assert await again.next() == {"type": "executing", "data": {"node": "8"}}
    await http.post("/interrupt", json={"prompt_id": pid})
    messages = await again.ended(pid)
    [stopped] = [m["data"] for m in messages if m["type"] == "execution_interrupted"]
    assert (stopped["node_id"], stopped["node_type"]) == ("8", "VAEDecode")
    await comfy.wait_for_async(lambda: comfy.clients == ["c"], timeout=5)


# -- faults -------------------------------------------------------------------------------


async def test_execution_errors_reach_the_client_and_the_history(
    comfy: ComfyUIStandin, http: httpx.AsyncClient, session: aiohttp.ClientSession
) -> None:
    comfy.script([Outcome(fail_at="KSampler")])
    client = await listen(session, comfy, "c")
    pid = await submit(http, txt2img(), client_id="c")
    messages = await client.ended(pid)
    assert kinds(messages)[-2:] == ["execution_error", "executing"]
    [error] = [m["data"] for m in messages if m["type"] == "execution_error"]
    assert (error["prompt_id"], error["node_id"], error["node_type"]) == (pid, "3", "KSampler")
    assert error["executed"] == ["4", "6", "7", "5"]
    assert error["exception_type"] == "torch.OutOfMemoryError"
    assert error["exception_message"].startswith("CUDA out of memory.")
    assert "TIPS:" in error["exception_message"]
    assert all(isinstance(line, str) for line in error["traceback"])
    assert error["current_inputs"]["seed"] == [7]
    assert error["current_outputs"] == []
    entry = (await history(http, pid))[pid]
    assert (entry["status"]["status_str"], entry["status"]["completed"]) == ("error", False)
    assert entry["outputs"] == {}
    assert (comfy.prompt(pid).status, comfy.prompt(pid).error) == (
        "error",
        "torch.OutOfMemoryError",
    )

    # A file that is not an image passes validation (it exists) and fails in LoadImage.
    files = {"image": ("notes.png", b"not an image", "image/png")}
    assert (await http.post("/upload/image", files=files)).status_code == 200
    broken = await submit(http, img2img("notes.png", "anything"), client_id="c")
    messages = await client.ended(broken)
    [error] = [m["data"] for m in messages if m["type"] == "execution_error"]
    assert (error["node_id"], error["exception_type"]) == ("10", "PIL.UnidentifiedImageError")


async def test_scripted_answers_to_post_prompt(
    comfy: ComfyUIStandin, http: httpx.AsyncClient
) -> None:
    comfy.script(
        [
            Behaviour(503, retry_after=2),
            Behaviour(400),
            Behaviour(html=True),
            Behaviour(hang=True),
            Behaviour(delay=0.1),
        ]
    )
    body = {"prompt": txt2img()}
    unavailable = await http.post("/prompt", json=body)
    assert (unavailable.status_code, unavailable.headers["retry-after"]) == (503, "2")
    refused = await http.post("/prompt", json=body)
    assert refused.status_code == 400
    assert refused.json()["error"]["type"] == "prompt_outputs_failed_validation"
    proxy = await http.post("/prompt", json=body)
    assert (proxy.status_code, proxy.headers["content-type"]) == (200, "text/html; charset=utf-8")
    with pytest.raises(httpx.ReadTimeout):
        await http.post("/prompt", json=body, timeout=0.3)
    slow = await http.post("/prompt", json=body)
    assert slow.status_code == 200
    pid = slow.json()["prompt_id"]
    assert slow.json()["number"] == 0  # the scripted refusals never reached the queue

    await comfy.wait_for_async(lambda: comfy.prompt(pid).status == "success", timeout=5)
    records = comfy.prompts
    assert [(r.status, r.error) for r in records] == [
        ("rejected", "scripted 503"),
        ("rejected", "scripted 400"),
        ("rejected", "scripted html"),
        ("rejected", "scripted hang"),
        ("success", None),
    ]
    assert {r.source for r in records} == {"script"}


# -- files ---------------------------------------------------------------------------------


async def test_view_serves_only_files_that_exist(
    comfy: ComfyUIStandin, http: httpx.AsyncClient
) -> None:
    assert (await http.get("/view")).status_code == 404
    assert (await http.get("/view", params={"filename": "nope.png"})).status_code == 404
    assert (await http.get("/view", params={"filename": "../x.png"})).status_code == 400
    outside = {"filename": "x.png", "subfolder": "../.."}
    assert (await http.get("/view", params=outside)).status_code == 403
    elsewhere = {"filename": "x.png", "type": "models"}
    assert (await http.get("/view", params=elsewhere)).status_code == 400

    files = {"image": ("mask.png", png("mask"), "image/png")}
    data = {"type": "temp", "subfolder": "masks"}
    assert (await http.post("/api/upload/image", files=files, data=data)).json() == {
        "name": "mask.png",
        "subfolder": "masks",
        "type": "temp",
    }
    params = {"filename": "mask.png", "subfolder": "masks", "type": "temp"}
    assert (await http.get("/api/view", params=params)).content == png("mask")
    annotated = {"filename": "mask.png [temp]", "subfolder": "masks"}
    assert (await http.get("/view", params=annotated)).status_code == 200
    assert (await http.get("/view", params={"filename": "mask.png"})).status_code == 404


async def test_an_uploaded_image_feeds_a_load_image_prompt(
    comfy: ComfyUIStandin, http: httpx.AsyncClient, session: aiohttp.ClientSession
) -> None:
    photo = png("holiday photo", width=80, height=56)

    async def upload(content: bytes, **form: str) -> dict[str, Any]:
        files = {"image": ("photo.png", content, "image/png")}
        reply = await http.post("/upload/image", files=files, data=form)
        assert reply.status_code == 200
        answer: dict[str, Any] = reply.json()
        return answer

    assert await upload(photo) == {"name": "photo.png", "subfolder": "", "type": "input"}
    assert (await upload(photo))["name"] == "photo.png"  # the same bytes: no copy
    assert (await upload(png("other")))["name"] == "photo (1).png"
    assert (await upload(png("replaced"), overwrite="true"))["name"] == "photo.png"
    assert comfy.file("photo.png", kind="input") == png("replaced")
    assert await upload(photo, subfolder="trips") == {
        "name": "photo.png",
        "subfolder": "trips",
        "type": "input",
    }

    client = await listen(session, comfy, "c")
    graph = img2img("trips/photo.png", "a watercolour")
    graph["9"]["inputs"]["filename_prefix"] = "img2img/easel"
    pid = await submit(http, graph, client_id="c")
    messages = await client.ended(pid)
    assert ("executing", "10") in flow(messages)
    record = comfy.prompt(pid)
    assert (record.source_image, record.width, record.height) == ("trips/photo.png", 80, 56)
    assert (record.positive, record.status) == ("a watercolour", "success")
    [image] = record.images
    assert image == {"filename": "easel_00001_.png", "subfolder": "img2img", "type": "output"}
    saved = (await http.get("/view", params=image)).content
    assert saved == png("a watercolour", width=80, height=56)

    missing = await http.post("/prompt", json={"prompt": img2img("gone.png", "x")})
    assert missing.status_code == 400
    [error] = missing.json()["node_errors"]["10"]["errors"]
    assert (error["type"], error["details"]) == (
        "custom_validation_failed",
        "image - Invalid image file: gone.png",
    )


# -- previews and restarts -----------------------------------------------------------------


async def test_previews_come_as_binary_frames(session: aiohttp.ClientSession) -> None:
    async with ComfyUIStandin(previews=True) as comfy:
        client = await listen(session, comfy, "c")
        async with httpx.AsyncClient(base_url=comfy.base_url, timeout=5) as http:
            pid = await submit(http, txt2img(steps=4), client_id="c")
            await client.ended(pid)
    assert len(client.frames) == 4
    for frame in client.frames:
        assert struct.unpack(">II", frame[:8]) == (1, 2)  # PREVIEW_IMAGE, PNG
        assert sniff(frame[8:]) == ImageInfo("png", 8, 8)
    assert comfy.internal_errors == []


async def test_a_restart_forgets_the_queue_and_history_but_keeps_files(
    session: aiohttp.ClientSession,
) -> None:
    comfy = ComfyUIStandin()
    await asyncio.to_thread(comfy.start)
    try:
        async with httpx.AsyncClient(base_url=comfy.base_url, timeout=5) as http:
            client = await listen(session, comfy, "c")
            done = await submit(http, txt2img("kept"), client_id="c")
            await client.ended(done)
            comfy.script([Outcome(stall_at="KSampler")])
            stalled = await submit(http, txt2img("stalled"), client_id="c")
            await client.until("executing", node="3", prompt_id=stalled)
            waiting = await submit(http, txt2img("waiting"), client_id="c")

            await asyncio.to_thread(comfy.stop)
            await asyncio.to_thread(comfy.start)

            assert await history(http, done) == {}
            assert (await http.get("/queue")).json() == {"queue_running": [], "queue_pending": []}
            statuses = [comfy.prompt(pid).status for pid in (done, stalled, waiting)]
            assert statuses == ["success", "lost", "lost"]
            [image] = comfy.prompt(done).images
            assert (await http.get("/view", params=image)).content == png(
                "kept", width=64, height=48
            )
            assert (await http.post("/prompt", json={"prompt": txt2img()})).json()["number"] == 0
    finally:
        await asyncio.to_thread(comfy.stop)
    assert comfy.internal_errors == []
