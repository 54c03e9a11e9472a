"""The OpenAI Images stand-in answers as OpenAI's API does, through httpx and through the
official `openai` client (the one Easel's tests will use against it).

Waits are condition-driven (`wait_for_async`) and every wait has a timeout.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import openai
import pytest

from easel_devtools.standins.images import png, sniff
from easel_devtools.standins.openai_images import (
    DEFAULT_OPENAI_KEY,
    ImageModel,
    OpenAIImagesStandin,
    revise,
)
from easel_devtools.standins.workers import Behaviour

GENERATIONS = "/v1/images/generations"
EDITS = "/v1/images/edits"


@pytest.fixture
def images() -> Iterator[OpenAIImagesStandin]:
    with OpenAIImagesStandin() as standin:
        yield standin
    assert standin.internal_errors == []


@pytest.fixture
async def http(images: OpenAIImagesStandin) -> AsyncIterator[httpx.AsyncClient]:
    key = {"Authorization": f"Bearer {DEFAULT_OPENAI_KEY}"}
    async with httpx.AsyncClient(base_url=images.base_url, headers=key, timeout=5) as client:
        yield client


def error_of(response: httpx.Response) -> dict[str, Any]:
    body: dict[str, Any] = response.json()
    assert list(body) == ["error"]
    assert list(body["error"]) == ["message", "type", "param", "code"]
    error: dict[str, Any] = body["error"]
    return error


async def test_generations_answer_base64_or_a_url_as_the_model_does(
    images: OpenAIImagesStandin, http: httpx.AsyncClient
) -> None:
    before = int(time.time())
    b64 = await http.post(
        GENERATIONS,
        json={"model": "dall-e-3", "prompt": "a lighthouse", "response_format": "b64_json"},
    )
    assert b64.status_code == 200
    body = b64.json()
    assert list(body) == ["created", "data"]
    assert before <= body["created"] <= int(time.time())
    [item] = body["data"]
    assert sniff(base64.b64decode(item["b64_json"]))
    assert item["revised_prompt"] == revise("a lighthouse")  # dall-e-3 revises prompts

    linked = await http.post(GENERATIONS, json={"prompt": "two boats", "n": 2})  # dall-e-2
    data = linked.json()["data"]
    assert [list(item) for item in data] == [["url"], ["url"]]
    async with httpx.AsyncClient(timeout=5) as browser:  # like a signed link: no key needed
        fetched = [await browser.get(item["url"]) for item in data]
        missing = await browser.get(images.base_url + "/images/img-missing.png")
    assert [f.headers["Content-Type"] for f in fetched] == ["image/png", "image/png"]
    assert all(sniff(f.content) for f in fetched)
    assert fetched[0].content != fetched[1].content
    assert missing.status_code == 404

    gpt = await http.post(GENERATIONS, json={"model": "gpt-image-1", "prompt": "a kite"})
    assert list(gpt.json()["data"][0]) == ["b64_json"]  # GPT image models answer in base64

    first, second, third = images.requests
    assert (first.endpoint, first.model, first.prompt, first.size, first.n) == (
        "generations",
        "dall-e-3",
        "a lighthouse",
        "1024x1024",
        1,
    )
    assert (first.response_format, first.has_image, first.status) == ("b64_json", False, 200)
    assert (second.model, second.n, second.response_format) == ("dall-e-2", 2, "url")
    assert (third.size, third.response_format) == ("auto", "b64_json")


async def test_the_key_is_checked_unless_there_is_none(images: OpenAIImagesStandin) -> None:
    async with httpx.AsyncClient(base_url=images.base_url, timeout=5) as anonymous:
        unkeyed = await anonymous.post(GENERATIONS, json={"prompt": "x"})
        assert unkeyed.status_code == 401
        error = error_of(unkeyed)
        assert error["message"].startswith("You didn't provide an API key.")
        assert (error["type"], error["code"]) == ("invalid_request_error", None)
        wrong = await anonymous.post(
            GENERATIONS, json={"prompt": "x"}, headers={"Authorization": "Bearer sk-wrong-key-123"}
        )
        error = error_of(wrong)
        assert error["message"].startswith("Incorrect API key provided: sk-*********-123.")
        assert error["code"] == "invalid_api_key"
    assert [r.source for r in images.requests] == ["rejected"] * 2

    with OpenAIImagesStandin(api_key=None) as open_server:
        async with httpx.AsyncClient(base_url=open_server.base_url, timeout=5) as anonymous:
            assert (await anonymous.post(GENERATIONS, json={"prompt": "x"})).status_code == 200
    assert open_server.internal_errors == []


@pytest.mark.parametrize(
    ("body", "param", "code", "message"),
    [
        (
            {"model": "dall-e-2", "prompt": "x", "size": "1536x1024"},
            "size",
            "invalid_value",
            "Invalid value: '1536x1024'. Supported values are: '256x256', '512x512', and"
            " '1024x1024'.",
        ),
        (
            {"model": "dall-e-3", "prompt": "x", "size": "512x512"},
            None,
            "invalid_size",
            "The size is not supported by this model.",
        ),
        (
            {"model": "gpt-image-1", "prompt": "x", "response_format": "url"},
            "response_format",
            "unknown_parameter",
            "Unknown parameter: 'response_format'.",
        ),
        (
            {"model": "dall-e-3", "prompt": "x", "n": 2},
            "n",
            "integer_above_max_value",
            "Invalid 'n': integer above maximum value. Expected a value <= 1, but got 2 instead.",
        ),
        (
            {"prompt": "x", "n": 0},
            "n",
            "integer_below_min_value",
            "Invalid 'n': integer below minimum value. Expected a value >= 1, but got 0 instead.",
        ),
        (
            {"prompt": "x", "n": "2"},
            "n",
            "invalid_type",
            "Invalid type for 'n': expected an integer, but got a string instead.",
        ),
        (
            {"model": "dall-e-2"},
            "prompt",
            "missing_required_parameter",
            "Missing required parameter: 'prompt'.",
        ),
        (
            {"prompt": "x" * 1001},
            "prompt",
            "string_above_max_length",
            "Invalid 'prompt': string too long. Expected a string with maximum length 1000,"
            " but got a string with length 1001 instead.",
        ),
        (
            {"prompt": "x", "response_format": "png"},
            "response_format",
            "invalid_value",
            "Invalid value: 'png'. Supported values are: 'url' and 'b64_json'.",
        ),
        (
            {"prompt": "x", "seed": 7},
            "seed",
            "unknown_parameter",
            "Unknown parameter: 'seed'.",
        ),
        (
            {"model": "dall-e-9", "prompt": "x"},
            "model",
            "invalid_value",
            "Invalid value: 'dall-e-9'. Supported values are: 'dall-e-2', 'dall-e-3', and"
            " 'gpt-image-1'.",
        ),
    ],
)
async def test_parameters_are_checked_against_the_model(
    images: OpenAIImagesStandin,
    http: httpx.AsyncClient,
    body: dict[str, Any],
    param: str | None,
    code: str,
    message: str,
) -> None:
    refused = await http.post(GENERATIONS, json=body)
    assert refused.status_code == 400
    assert error_of(refused) == {
        "message": message,
        "type": "invalid_request_error",
        "param": param,
        "code": code,
    }
    [record] = images.requests
    assert (record.status, record.error_code, record.source) == (400, code, "rejected")


async def test_a_body_that_is_not_json_is_refused(http: httpx.AsyncClient) -> None:
    for content in (b"{nope", b"[1, 2]"):
        refused = await http.post(GENERATIONS, content=content)
        assert refused.status_code == 400
        assert error_of(refused)["message"].startswith("We could not parse the JSON body")


async def test_blocked_words_are_refused_as_each_model_family_words_it(
    images: OpenAIImagesStandin, http: httpx.AsyncClient
) -> None:
    dalle = await http.post(GENERATIONS, json={"prompt": "Something FORBIDDEN here"})
    assert dalle.status_code == 400
    error = error_of(dalle)
    assert error["message"].startswith("Your request was rejected as a result of our safety")
    assert (error["type"], error["code"]) == ("invalid_request_error", "content_policy_violation")

    gpt = await http.post(GENERATIONS, json={"model": "gpt-image-1", "prompt": "forbidden"})
    error = error_of(gpt)
    assert error["message"].startswith("Your request was rejected by the safety system.")
    assert (error["type"], error["code"]) == ("image_generation_user_error", "moderation_blocked")

    with OpenAIImagesStandin(blocked_words=["Volcano"]) as strict:
        async with httpx.AsyncClient(base_url=strict.base_url, headers=http.headers) as client:
            assert (await client.post(GENERATIONS, json={"prompt": "forbidden"})).is_success
            lava = await client.post(GENERATIONS, json={"prompt": "a volcano"})
            assert error_of(lava)["code"] == "content_policy_violation"
    assert strict.internal_errors == []


async def test_models_are_configurable_for_openai_compatible_servers() -> None:
    models = {"flux-schnell": ImageModel(("512x512", "768x768"), "gpt-image")}
    with OpenAIImagesStandin(None, models=models, default_model="flux-schnell") as server:
        async with httpx.AsyncClient(base_url=server.base_url, timeout=5) as client:
            made = await client.post(GENERATIONS, json={"prompt": "x", "size": "768x768"})
            assert made.status_code == 200
            refused = await client.post(GENERATIONS, json={"prompt": "x", "size": "1024x1024"})
            assert error_of(refused)["message"] == (
                "Invalid value: '1024x1024'. Supported values are: '512x512' and '768x768'."
            )
            dalle = await client.post(GENERATIONS, json={"model": "dall-e-2", "prompt": "x"})
            assert error_of(dalle)["param"] == "model"
    assert [r.model for r in server.requests] == ["flux-schnell", "flux-schnell", "dall-e-2"]
    assert server.internal_errors == []


async def test_edits_take_an_image_file_as_multipart(
    images: OpenAIImagesStandin, http: httpx.AsyncClient
) -> None:
    source = png("a photo")
    form = {"model": "gpt-image-1", "prompt": "make it blue", "n": "2"}
    edited = await http.post(EDITS, data=form, files={"image": ("in.png", source, "image/png")})
    assert edited.status_code == 200
    data = edited.json()["data"]
    assert len(data) == 2
    assert all(sniff(base64.b64decode(item["b64_json"])) for item in data)

    dalle = await http.post(
        EDITS, data={"prompt": "x"}, files={"image": ("in.png", source, "image/png")}
    )
    assert list(dalle.json()["data"][0]) == ["url"]  # dall-e-2, the default model

    as_json = await http.post(EDITS, json={"prompt": "x"})
    assert error_of(as_json)["message"].startswith(
        "Invalid Content-Type header (application/json), expected multipart/form-data."
    )
    no_image = await http.post(EDITS, data={"prompt": "x"}, files={"mask": ("m.png", source)})
    assert error_of(no_image)["code"] == "missing_required_parameter"
    not_image = await http.post(EDITS, data={"prompt": "x"}, files={"image": ("a.png", b"text")})
    assert error_of(not_image)["code"] == "invalid_image_file"
    dalle3 = await http.post(
        EDITS, data={"model": "dall-e-3", "prompt": "x"}, files={"image": ("in.png", source)}
    )
    assert error_of(dalle3)["message"] == (
        "Invalid value: 'dall-e-3'. Supported values are: 'dall-e-2' and 'gpt-image-1'."
    )

    first, second, *refused = images.requests
    assert (first.endpoint, first.has_image, first.n, first.prompt) == (
        "edits",
        True,
        2,
        "make it blue",
    )
    assert (second.model, second.response_format) == ("dall-e-2", "url")
    assert [r.status for r in refused] == [400] * 4


async def test_scripted_faults_answer_openai_error_bodies(
    images: OpenAIImagesStandin, http: httpx.AsyncClient
) -> None:
    images.script([429, Behaviour(429, retry_after=9), 500])
    images.script([Behaviour(502, body={"oops": True}), Behaviour(html=True)])
    limited = await http.post(GENERATIONS, json={"prompt": "x", "model": "dall-e-3"})
    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "1"
    error = error_of(limited)
    assert (error["type"], error["code"]) == ("requests", "rate_limit_exceeded")
    assert "on dall-e-3" in error["message"]
    later = await http.post(GENERATIONS, json={"prompt": "x"})
    assert later.headers["Retry-After"] == "9"
    assert "try again in 9s" in error_of(later)["message"]
    failed = await http.post(GENERATIONS, json={"prompt": "x"})
    assert (failed.status_code, error_of(failed)["type"]) == (500, "server_error")
    custom = await http.post(GENERATIONS, json={"prompt": "x"})
    assert (custom.status_code, custom.json()) == (502, {"oops": True})
    page = await http.post(GENERATIONS, json={"prompt": "x"})
    assert (page.status_code, page.headers["Content-Type"]) == (200, "text/html; charset=utf-8")
    # An invalid request does not use up a behaviour; the script is spent, so: normal.
    assert (await http.post(GENERATIONS, json={})).status_code == 400
    assert (await http.post(GENERATIONS, json={"prompt": "x"})).status_code == 200
    sources = [r.source for r in images.requests]
    assert sources == ["script"] * 5 + ["rejected", "normal"]


async def test_capacity_and_a_hung_request() -> None:
    with OpenAIImagesStandin(None, capacity=1) as server:
        server.script([Behaviour(hang=True)])
        async with httpx.AsyncClient(base_url=server.base_url, timeout=5) as client:
            hung = asyncio.create_task(client.post(GENERATIONS, json={"prompt": "x"}))
            await server.wait_for_async(lambda: server.in_flight == 1, timeout=5)
            over = await client.post(GENERATIONS, json={"prompt": "y"})
            assert over.status_code == 429
            assert over.headers["Retry-After"] == "1"
            assert error_of(over)["code"] == "rate_limit_exceeded"
            assert (server.capacity_violations, server.max_concurrency_seen) == (1, 2)
            hung.cancel()  # the client gives up: the server notices and frees the slot
            await server.wait_for_async(lambda: server.in_flight == 0, timeout=5)
            assert (await client.post(GENERATIONS, json={"prompt": "z"})).status_code == 200
    assert [r.source for r in server.requests] == ["script", "over capacity", "normal"]
    assert [r.status for r in server.requests] == [None, 429, 200]
    assert server.internal_errors == []


# -- the official client ------------------------------------------------------------------


@contextlib.contextmanager
def official(
    images: OpenAIImagesStandin, *, key: str = DEFAULT_OPENAI_KEY, max_retries: int = 0
) -> Iterator[openai.OpenAI]:
    """The official client as Easel's tests will build it, closed afterwards."""
    with openai.OpenAI(
        base_url=images.url, api_key=key, max_retries=max_retries, timeout=10
    ) as client:
        yield client


def test_the_official_client_generates_and_edits(images: OpenAIImagesStandin) -> None:
    with official(images) as client:
        made = client.images.generate(
            model="dall-e-3", prompt="a red fox", response_format="b64_json", size="1792x1024"
        )
        linked = client.images.generate(prompt="a lake", n=2)
        edited = client.images.edit(
            model="gpt-image-1",
            image=[("a.png", png("a"), "image/png"), ("b.png", png("b"), "image/png")],
            prompt="merge them",
        )
    assert made.data is not None
    [image] = made.data
    assert image.b64_json is not None
    assert sniff(base64.b64decode(image.b64_json))
    assert image.revised_prompt == revise("a red fox")
    assert linked.data is not None
    assert all(item.url and item.url.startswith(images.base_url) for item in linked.data)
    assert edited.data is not None
    assert edited.data[0].b64_json is not None
    made_request, linked_request, edit_request = images.requests
    assert (made_request.size, made_request.response_format) == ("1792x1024", "b64_json")
    assert (linked_request.model, linked_request.n) == ("dall-e-2", 2)
    assert (edit_request.endpoint, edit_request.has_image) == ("edits", True)


def test_the_official_client_raises_its_exceptions(images: OpenAIImagesStandin) -> None:
    with official(images) as client:
        with pytest.raises(openai.BadRequestError) as blocked:
            client.images.generate(model="dall-e-3", prompt="something forbidden")
        images.script([429, 503])
        with pytest.raises(openai.RateLimitError) as limited:
            client.images.generate(prompt="x")
        with pytest.raises(openai.InternalServerError):
            client.images.generate(prompt="x")
    assert blocked.value.status_code == 400
    assert blocked.value.code == "content_policy_violation"
    assert blocked.value.type == "invalid_request_error"
    assert limited.value.code == "rate_limit_exceeded"
    assert limited.value.response.headers["Retry-After"] == "1"

    with (
        official(images, key="sk-not-this-one") as intruder,
        pytest.raises(openai.AuthenticationError) as unauthorized,
    ):
        intruder.images.generate(prompt="x")
    assert unauthorized.value.code == "invalid_api_key"


def test_the_official_client_retries_a_scripted_failure(images: OpenAIImagesStandin) -> None:
    images.script([500])
    with official(images, max_retries=1) as client:
        made = client.images.generate(prompt="x")
    assert made.data is not None
    assert [r.status for r in images.requests] == [500, 200]
