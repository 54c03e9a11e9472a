"""The a1111 kind's pure part: the txt2img body it sends and its verdict on the answer."""

from __future__ import annotations

import base64
import json

from easel.events import ErrorCode
from easel.settings import ModelSpec
from easel_devtools.standins import png
from easel_generator import verdicts
from easel_generator.kinds import Photo, Render
from easel_generator.kinds.a1111 import answer, endpoint, request_body

PNG = png("a lighthouse")
SPEC = ModelSpec(
    name="forge",
    display_name="Forge",
    backend="a1111",
    url="http://forge:7860",
    sizes=("1024x1024", "832x1216"),
    defaults={"steps": 28, "cfg_scale": 5.5, "sampler_name": "Euler a", "prompt": "ignored"},
)


def reply(images: list[str], info: object) -> bytes:
    return json.dumps({"images": images, "parameters": {}, "info": info}).encode()


def test_the_body_takes_the_defaults_then_the_job_and_names_its_task() -> None:
    render = Render("a heron", size="832x1216", params={"seed": 42})
    body = request_body(SPEC, render, "task(easel1)")
    assert body["prompt"] == "a heron"  # a default never replaces the prompt
    assert (body["width"], body["height"]) == (832, 1216)
    assert (body["steps"], body["cfg_scale"], body["sampler_name"]) == (28, 5.5, "Euler a")
    assert body["seed"] == 42
    assert body["force_task_id"] == "task(easel1)"
    assert (body["batch_size"], body["n_iter"], body["save_images"]) == (1, 1, False)


def test_without_a_seed_the_backend_picks_one() -> None:
    assert request_body(SPEC, Render("a heron"), "t")["seed"] == -1
    assert "width" not in request_body(SPEC, Render("a heron"), "t")


def test_the_image_and_the_seed_it_used_are_read_from_the_answer() -> None:
    encoded = base64.b64encode(PNG).decode()
    got = answer(200, None, reply([encoded], json.dumps({"seed": 1234, "all_seeds": [1234]})))
    assert got.verdict == verdicts.Success("image/png")
    assert got.image is not None
    assert bytes(got.image.data) == PNG
    assert got.image.seed == 1234


def test_an_info_without_a_seed_still_gives_the_image() -> None:
    got = answer(200, None, reply([base64.b64encode(PNG).decode()], "not json"))
    assert got.image is not None
    assert got.image.seed is None


def test_no_image_or_not_an_image_is_invalid() -> None:
    for body in (
        reply([], "{}"),
        reply(["%%%"], "{}"),
        reply([base64.b64encode(b"<html>").decode()], "{}"),
        b"<html>oops</html>",
    ):
        got = answer(200, None, body)
        assert isinstance(got.verdict, verdicts.Failure)
        assert got.verdict.code is ErrorCode.INVALID_IMAGE
        assert got.image is None


def test_errors_keep_the_usual_verdicts() -> None:
    assert answer(401, None, b'{"detail":"Incorrect username or password"}').verdict == (
        verdicts.Failure(ErrorCode.AUTH, "HTTP 401")
    )
    busy = answer(500, "3", b'{"error":"OutOfMemoryError"}').verdict
    assert busy == verdicts.Retryable(ErrorCode.BACKEND_UNAVAILABLE, "HTTP 500", 3.0)
    invalid = answer(422, None, b'{"detail":[{"loc":["body","steps"]}]}').verdict
    assert invalid == verdicts.Failure(ErrorCode.BAD_REQUEST, "HTTP 422")


def test_a_photo_goes_to_img2img_in_base64_with_its_strength() -> None:
    photo = Photo(PNG, "image/png")
    render = Render("a heron", params={"strength": 0.35}, photo=photo)
    body = request_body(SPEC, render, "t")
    assert endpoint(render) == "img2img"
    assert body["init_images"] == [base64.b64encode(PNG).decode()]
    assert body["denoising_strength"] == 0.35
    assert "strength" not in body  # A1111's name for it only
    assert endpoint(Render("a heron")) == "txt2img"
    assert "init_images" not in request_body(SPEC, Render("a heron"), "t")
