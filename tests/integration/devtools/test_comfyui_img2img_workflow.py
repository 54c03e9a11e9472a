"""The sample img2img workflow (`comfyui_img2img.json`): ComfyUI's default txt2img graph
started from a photo (LoadImage → VAEEncode → KSampler at denoise 0.6). It runs on the
ComfyUI stand-in from an uploaded photo, and a MODELS_FILE mapping Easel's fields into it
passes the registry's checks.

Waits are on the stand-in's records with timeouts, never on sleeps.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from easel.settings import load_registry
from easel_devtools.standins.comfyui import (
    IMG2IMG_WORKFLOW_PATH,
    ComfyUIStandin,
    default_workflow,
)
from easel_devtools.standins.images import ImageInfo, png, sniff

# Where an Easel model writes each field, as its [models.<name>.inputs] says.
INPUTS = {
    "prompt": "6.inputs.text",
    "negative_prompt": "7.inputs.text",
    "seed": "3.inputs.seed",
    "image": "10.inputs.image",
    "strength": "3.inputs.denoise",
}
MODELS = """\
[models.restyle]
display_name = "ComfyUI img2img"
backend = "comfyui"
url = "http://comfyui:8188"
workflow = "workflows/img2img.json"
[models.restyle.inputs]
prompt = "6.inputs.text"
negative_prompt = "7.inputs.text"
seed = "3.inputs.seed"
image = "10.inputs.image"
strength = "3.inputs.denoise"
"""


def img2img_workflow() -> dict[str, Any]:
    graph: dict[str, Any] = json.loads(IMG2IMG_WORKFLOW_PATH.read_text())
    return graph


def place(graph: dict[str, Any], where: str, value: object) -> None:
    """Writes `value` at "<node id>.inputs.<name>", as the generator does."""
    node, _, name = where.partition(".inputs.")
    graph[node]["inputs"][name] = value


@pytest.fixture
def comfy() -> Iterator[ComfyUIStandin]:
    with ComfyUIStandin(service_time=0.05) as standin:
        yield standin
    assert standin.internal_errors == []


@pytest.fixture
async def http(comfy: ComfyUIStandin) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=comfy.base_url, timeout=5) as client:
        yield client


def test_it_is_the_default_workflow_started_from_a_photo() -> None:
    graph, txt2img = img2img_workflow(), default_workflow()
    assert sorted(graph, key=int) == ["3", "4", "6", "7", "8", "9", "10", "11"]
    assert "EmptyLatentImage" not in {node["class_type"] for node in graph.values()}
    for node in ("4", "6", "7", "8", "9"):
        assert graph[node] == txt2img[node]
    assert graph["10"]["class_type"] == "LoadImage"
    assert graph["10"]["inputs"] == {"image": "example.png"}
    assert graph["11"]["class_type"] == "VAEEncode"
    assert graph["11"]["inputs"] == {"pixels": ["10", 0], "vae": ["4", 2]}
    sampler = graph["3"]["inputs"]
    assert (sampler["latent_image"], sampler["denoise"]) == (["11", 0], 0.6)
    assert {k: v for k, v in sampler.items() if k not in ("latent_image", "denoise")} == {
        k: v for k, v in txt2img["3"]["inputs"].items() if k not in ("latent_image", "denoise")
    }


async def test_an_uploaded_photo_runs_through_the_workflow(
    comfy: ComfyUIStandin, http: httpx.AsyncClient
) -> None:
    photo = png("a holiday photo", width=80, height=56)
    files = {"image": ("easel-photo.png", photo, "image/png")}
    uploaded = await http.post("/upload/image", files=files, data={"overwrite": "true"})
    assert uploaded.status_code == 200, uploaded.text
    name = uploaded.json()["name"]
    assert uploaded.json() == {"name": name, "subfolder": "", "type": "input"}
    assert comfy.file(name, kind="input") == photo

    graph = img2img_workflow()
    values = {
        "prompt": "the same place as a watercolour",
        "negative_prompt": "blurry",
        "seed": 42,
        "image": name,
        "strength": 0.35,
    }
    for field, value in values.items():
        place(graph, INPUTS[field], value)
    graph["3"]["inputs"]["steps"] = 3
    reply = await http.post("/prompt", json={"prompt": graph, "client_id": "easel"})
    assert reply.status_code == 200, reply.text
    assert reply.json()["node_errors"] == {}
    pid = reply.json()["prompt_id"]

    finished = ("success", "error", "interrupted")
    await comfy.wait_for_async(lambda: comfy.prompt(pid).status in finished, timeout=10)
    record = comfy.prompt(pid)
    assert (record.status, record.error) == ("success", None)
    entry = (await http.get(f"/history/{pid}")).json()[pid]
    assert (entry["status"]["status_str"], entry["status"]["completed"]) == ("success", True)
    [image] = entry["outputs"]["9"]["images"]
    assert image == {"filename": "ComfyUI_00001_.png", "subfolder": "", "type": "output"}

    # Read as an img2img of the uploaded photo, at its size, with Easel's fields in place.
    assert (record.source_image, record.width, record.height) == (name, 80, 56)
    assert (record.positive, record.negative, record.seed) == (
        "the same place as a watercolour",
        "blurry",
        42,
    )
    assert record.graph["3"]["inputs"]["denoise"] == 0.35
    assert record.images == [image]
    view = await http.get("/view", params=image)
    assert view.status_code == 200
    assert view.content == png("the same place as a watercolour", width=80, height=56)
    assert sniff(view.content) == ImageInfo("png", 80, 56)


async def test_the_workflow_as_shipped_needs_its_photo_uploaded(http: httpx.AsyncClient) -> None:
    """Its LoadImage names `example.png`: a model must map `image`, or every job fails."""
    reply = await http.post("/prompt", json={"prompt": img2img_workflow()})
    assert reply.status_code == 400
    [error] = reply.json()["node_errors"]["10"]["errors"]
    assert error["details"] == "image - Invalid image file: example.png"


def test_a_models_file_mapping_the_workflow_loads(tmp_path: Path) -> None:
    (tmp_path / "workflows").mkdir()
    shutil.copy(IMG2IMG_WORKFLOW_PATH, tmp_path / "workflows" / "img2img.json")
    (tmp_path / "models.toml").write_text(MODELS)
    registry = load_registry({"MODELS_FILE": str(tmp_path / "models.toml")})
    [spec] = registry.models
    assert (spec.name, spec.backend, registry.default) == ("restyle", "comfyui", "restyle")
    assert spec.workflow == tmp_path / "workflows" / "img2img.json"
    assert spec.graph == img2img_workflow()
    assert spec.inputs == INPUTS

    # The txt2img mapping of the size does not fit: this graph has no EmptyLatentImage.
    (tmp_path / "models.toml").write_text(MODELS + 'width = "5.inputs.width"\n')
    with pytest.raises(ValueError, match=r"inputs\.width: '5\.inputs\.width' names no node"):
        load_registry({"MODELS_FILE": str(tmp_path / "models.toml")})
