"""The model registry from MODELS_FILE: each backend kind's keys, sizes, defaults, and a
ComfyUI workflow read relative to the file, with each mistake named by model and key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from easel.settings import ModelSpec, load_registry

WORKFLOW = {
    "6": {"class_type": "CLIPTextEncode", "inputs": {"text": "", "clip": ["4", 1]}},
    "5": {"class_type": "EmptyLatentImage", "inputs": {"width": 512, "height": 512}},
    "3": {"class_type": "KSampler", "inputs": {"seed": 0, "steps": 20}},
}


def error(tmp_path: Path, toml: str) -> str:
    """The message a MODELS_FILE holding `toml` is refused with."""
    (tmp_path / "models.toml").write_text(toml)
    with pytest.raises(ValueError, match=r"^MODELS_FILE ") as caught:
        load_registry({"MODELS_FILE": str(tmp_path / "models.toml")})
    return str(caught.value).split(": ", 1)[1]  # after the file's name


def test_each_kind_with_its_own_keys(tmp_path: Path) -> None:
    (tmp_path / "flows").mkdir()
    (tmp_path / "flows" / "sdxl.json").write_text(json.dumps(WORKFLOW))
    (tmp_path / "models.toml").write_text(
        """
[models.forge]
display_name = "Forge"
backend = "a1111"
url = "http://forge:7860"
sizes = ["1024x1024", "832x1216"]
default_size = "832x1216"
[models.forge.defaults]
steps = 28
sampler_name = "Euler a"

[models.dalle]
display_name = "DALL·E 3"
backend = "openai_images"
url = "https://api.openai.com/v1"
api_key_env = "OPENAI_API_KEY"
upstream_model = "dall-e-3"
sizes = ["1024x1024", "1792x1024"]

[models.comfy]
display_name = "ComfyUI"
backend = "comfyui"
url = "http://comfy:8188"
workflow = "flows/sdxl.json"
[models.comfy.inputs]
prompt = "6.inputs.text"
seed = "3.inputs.seed"
width = "5.inputs.width"
"""
    )
    loaded = load_registry(
        {"MODELS_FILE": str(tmp_path / "models.toml"), "OPENAI_API_KEY": "sk-test"}
    )
    forge, dalle, comfy = loaded.models
    assert forge.size == "832x1216"
    assert forge.defaults == {"steps": 28, "sampler_name": "Euler a"}
    assert dalle.size == "1024x1024"  # the first allowed, when no default is named
    assert dalle.upstream_model == "dall-e-3"
    assert dalle.api_key is not None
    assert comfy.workflow == tmp_path / "flows" / "sdxl.json"
    assert comfy.graph == WORKFLOW
    assert comfy.inputs["prompt"] == "6.inputs.text"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ('upstream_model = "x"', "models.m: Value error, upstream_model is for backend"),
        ('sizes = ["1024"]', "models.m.sizes.0: String should match pattern"),
        (
            'sizes = ["512x512"]\ndefault_size = "1024x1024"',
            "models.m: Value error, default_size 1024x1024 is not one of sizes",
        ),
    ],
)
def test_a_key_that_does_not_fit_is_named(tmp_path: Path, extra: str, message: str) -> None:
    toml = f'[models.m]\ndisplay_name = "M"\nbackend = "a1111"\nurl = "http://m"\n{extra}\n'
    assert error(tmp_path, toml).startswith(message)


def test_a_comfyui_model_needs_a_readable_workflow_and_inputs_that_exist(
    tmp_path: Path,
) -> None:
    (tmp_path / "flow.json").write_text(json.dumps(WORKFLOW))
    head = '[models.c]\ndisplay_name = "C"\nbackend = "comfyui"\nurl = "http://c"\n'
    assert "workflow: cannot read" in error(tmp_path, head + 'workflow = "missing.json"\n')
    flow = head + 'workflow = "flow.json"\n[models.c.inputs]\n'
    assert "comfyui needs inputs.prompt" in error(tmp_path, flow + 'seed = "3.inputs.seed"\n')
    assert "names no node" in error(tmp_path, flow + 'prompt = "9.inputs.text"\n')
    assert "node 6 has no input 'txt'" in error(tmp_path, flow + 'prompt = "6.inputs.txt"\n')
    assert "inputs.colour: not one of" in error(
        tmp_path, flow + 'prompt = "6.inputs.text"\ncolour = "6.inputs.text"\n'
    )


def test_which_models_can_start_from_a_photo() -> None:
    def spec(backend: str, **keys: object) -> ModelSpec:
        fields = {"name": "m", "display_name": "M", "backend": backend, "url": "http://m"}
        return ModelSpec.model_validate({**fields, **keys})

    assert {"image", "strength"} <= spec("a1111").accepts
    assert "image" not in spec("openai_images", upstream_model="dall-e-3").accepts
    assert "image" in spec("openai_images", upstream_model="gpt-image-1").accepts
    assert "strength" not in spec("openai_images", upstream_model="gpt-image-1").accepts
    assert "image" not in spec("get_query").accepts
    graph = {**WORKFLOW, "10": {"class_type": "LoadImage", "inputs": {"image": "x.png"}}}
    txt2img = spec("comfyui", graph=WORKFLOW, inputs={"prompt": "6.inputs.text"})
    img2img = spec(
        "comfyui", graph=graph, inputs={"prompt": "6.inputs.text", "image": "10.inputs.image"}
    )
    assert "image" not in txt2img.accepts
    assert not txt2img.needs_image
    assert "image" in img2img.accepts
    assert img2img.needs_image
    assert "strength" not in img2img.accepts  # not mapped
