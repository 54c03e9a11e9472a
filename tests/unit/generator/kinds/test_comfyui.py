"""The comfyui kind's pure part: a job's fields written into the workflow where the model
maps them, the websocket messages that end a run, the image found in the history, and a
refused graph."""

from __future__ import annotations

import httpx

from easel.events import ErrorCode
from easel.settings import ModelSpec
from easel_generator import verdicts
from easel_generator.kinds import Render
from easel_generator.kinds.comfyui import Ended, first_image, graph_for, on_message, refusal

GRAPH = {
    "3": {"class_type": "KSampler", "inputs": {"seed": 0, "steps": 20, "positive": ["6", 0]}},
    "5": {"class_type": "EmptyLatentImage", "inputs": {"width": 512, "height": 512}},
    "6": {"class_type": "CLIPTextEncode", "inputs": {"text": "", "clip": ["4", 1]}},
    "7": {"class_type": "CLIPTextEncode", "inputs": {"text": "blurry", "clip": ["4", 1]}},
}
SPEC = ModelSpec(
    name="comfy",
    display_name="ComfyUI",
    backend="comfyui",
    url="http://comfy:8188",
    graph=GRAPH,
    inputs={
        "prompt": "6.inputs.text",
        "negative_prompt": "7.inputs.text",
        "seed": "3.inputs.seed",
        "width": "5.inputs.width",
        "height": "5.inputs.height",
    },
)


def test_the_jobs_fields_go_where_the_model_maps_them_and_the_file_stays() -> None:
    render = Render("a lighthouse", size="832x1216", params={"negative_prompt": "text"})
    graph = graph_for(SPEC, render, seed=77)
    assert graph["6"]["inputs"]["text"] == "a lighthouse"
    assert graph["7"]["inputs"]["text"] == "text"
    assert graph["3"]["inputs"] == {"seed": 77, "steps": 20, "positive": ["6", 0]}
    assert (graph["5"]["inputs"]["width"], graph["5"]["inputs"]["height"]) == (832, 1216)
    assert GRAPH["6"]["inputs"]["text"] == ""  # the model's own graph is never changed


def test_the_run_ends_on_success_or_the_final_executing_of_our_prompt_only() -> None:
    ours, other = "p-1", "p-2"
    assert (
        on_message({"type": "progress", "data": {"value": 3, "max": 20, "prompt_id": ours}}, ours)
        is None
    )
    assert on_message({"type": "execution_success", "data": {"prompt_id": other}}, ours) is None
    assert on_message({"type": "execution_success", "data": {"prompt_id": ours}}, ours) == Ended(
        None
    )
    done = {"type": "executing", "data": {"node": None, "prompt_id": ours}}
    assert on_message(done, ours) == Ended(None)
    assert on_message({"type": "status", "data": {"status": {}}}, ours) is None


def test_an_execution_error_is_final_and_an_interruption_by_others_is_retried() -> None:
    error = {
        "type": "execution_error",
        "data": {
            "prompt_id": "p",
            "node_type": "KSampler",
            "exception_type": "torch.OutOfMemoryError",
        },
    }
    assert on_message(error, "p") == Ended(
        verdicts.Failure(
            ErrorCode.BAD_REQUEST, "execution error in KSampler: torch.OutOfMemoryError"
        )
    )
    stopped = on_message({"type": "execution_interrupted", "data": {"prompt_id": "p"}}, "p")
    assert stopped == Ended(verdicts.Retryable(ErrorCode.BACKEND_UNAVAILABLE, "interrupted"))


def test_the_first_image_of_any_output_node() -> None:
    history = {
        "p": {
            "outputs": {
                "12": {"text": ["not an image"]},
                "9": {
                    "images": [
                        {"filename": "ComfyUI_00001_.png", "subfolder": "", "type": "output"}
                    ]
                },
            }
        }
    }
    assert first_image(history, "p") == {
        "filename": "ComfyUI_00001_.png",
        "subfolder": "",
        "type": "output",
    }
    assert first_image({}, "p") is None  # not done yet, or forgotten
    assert first_image({"p": {"outputs": {"9": {"images": []}}}}, "p") is None


def test_a_graph_with_node_errors_is_a_bad_request_never_retried() -> None:
    body = {
        "error": {
            "type": "prompt_outputs_failed_validation",
            "message": "Prompt outputs failed validation",
            "details": "",
            "extra_info": {},
        },
        "node_errors": {"3": {"errors": [], "dependent_outputs": ["9"], "class_type": "KSampler"}},
    }
    refused = refusal(httpx.Response(400, json=body))
    assert refused.verdict == verdicts.Failure(
        ErrorCode.BAD_REQUEST, "HTTP 400: Prompt outputs failed validation"
    )
    busy = refusal(httpx.Response(503, text="starting"))
    assert busy.verdict == verdicts.Retryable(ErrorCode.BACKEND_UNAVAILABLE, "HTTP 503")


def test_an_image_to_image_workflow_gets_the_uploaded_photos_name_and_the_strength() -> None:
    graph = {
        **GRAPH,
        "3": {"class_type": "KSampler", "inputs": {"seed": 0, "denoise": 0.6}},
        "10": {"class_type": "LoadImage", "inputs": {"image": "example.png"}},
    }
    inputs = {"prompt": "6.inputs.text", "image": "10.inputs.image", "strength": "3.inputs.denoise"}
    spec = SPEC.model_copy(update={"graph": graph, "inputs": inputs})
    render = Render("a heron", params={"strength": 0.3})
    written = graph_for(spec, render, seed=1, image="easel_ab.jpg")
    assert written["10"]["inputs"]["image"] == "easel_ab.jpg"
    assert written["3"]["inputs"]["denoise"] == 0.3
    assert graph["10"]["inputs"]["image"] == "example.png"  # the model's own copy stays
