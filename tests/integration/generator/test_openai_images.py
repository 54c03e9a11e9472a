"""The openai_images kind against the OpenAI Images stand-in (OpenAI's fields, error bodies
and status codes): the image, the upstream model and nearest size, a refused prompt
(moderated, not retried), a wrong key, and gpt-image models that take no response_format."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pydantic import SecretStr

from easel.events import ErrorCode, Params
from easel.settings import ModelSpec
from easel_devtools.standins import DEFAULT_OPENAI_KEY, Behaviour, OpenAIImagesStandin, png
from easel_generator.backends import Backend, Failed, Generated
from easel_generator.kinds import Photo

DALL_E_3 = ("1024x1024", "1792x1024", "1024x1792")


@pytest.fixture
def openai() -> Iterator[OpenAIImagesStandin]:
    with OpenAIImagesStandin() as standin:
        yield standin
    assert standin.internal_errors == []


def spec(
    openai: OpenAIImagesStandin,
    upstream: str = "dall-e-3",
    key: str = DEFAULT_OPENAI_KEY,
    sizes: tuple[str, ...] = DALL_E_3,
) -> ModelSpec:
    return ModelSpec(
        name="dalle",
        display_name="DALL·E",
        backend="openai_images",
        url=openai.url,
        api_key=SecretStr(key),
        upstream_model=upstream,
        sizes=sizes,
        default_size=sizes[0],
    )


async def test_the_image_comes_from_the_upstream_model(openai: OpenAIImagesStandin) -> None:
    async with Backend(spec(openai), retry_base_seconds=0.01) as backend:
        result = await backend.generate("a fox in the snow")
    assert isinstance(result, Generated), result
    [request] = openai.requests
    assert (request.model, request.size, request.response_format, request.n) == (
        "dall-e-3",
        "1024x1024",
        "b64_json",
        1,
    )
    assert bytes(result.data) == png("a fox in the snow|dall-e-3|generations|0")


async def test_a_gpt_image_model_is_sent_no_response_format(
    openai: OpenAIImagesStandin,
) -> None:
    sizes = ("1024x1024", "1536x1024")
    async with Backend(spec(openai, "gpt-image-1", sizes=sizes), retry_base_seconds=0.01) as b:
        result = await b.generate("a kite")
    # The stand-in refuses the field for gpt-image models, as OpenAI does (unknown_parameter).
    assert isinstance(result, Generated), result
    assert [r.status for r in openai.requests] == [200]


async def test_a_refused_prompt_is_moderated_and_tried_once(
    openai: OpenAIImagesStandin,
) -> None:
    async with Backend(spec(openai), retry_base_seconds=0.01) as backend:
        result = await backend.generate("something forbidden")
    assert isinstance(result, Failed), result
    assert result.failure.code is ErrorCode.MODERATED
    assert result.attempts == 1
    assert openai.requests[0].error_code == "content_policy_violation"


async def test_a_wrong_key_is_auth(openai: OpenAIImagesStandin) -> None:
    async with Backend(spec(openai, key="sk-wrong"), retry_base_seconds=0.01) as backend:
        result = await backend.generate("a fox")
    assert isinstance(result, Failed), result
    assert result.failure.code is ErrorCode.AUTH


async def test_a_rate_limit_is_waited_out(openai: OpenAIImagesStandin) -> None:
    openai.script([Behaviour(status=429, retry_after=0)])
    async with Backend(spec(openai), retry_base_seconds=0.01) as backend:
        result = await backend.generate("a patient fox")
    assert isinstance(result, Generated), result
    assert result.attempts == 2


async def test_a_photo_goes_to_the_edits_endpoint_as_a_file(openai: OpenAIImagesStandin) -> None:
    sizes = ("1024x1024", "1536x1024")
    photo = Photo(png("a heron", width=64, height=64), "image/png")
    model = spec(openai, "gpt-image-1", sizes=sizes)
    async with Backend(model, retry_base_seconds=0.01) as backend:
        result = await backend.generate("a heron in ink", params=Params(strength=0.5), photo=photo)
    assert isinstance(result, Generated), result
    [request] = openai.requests
    assert (request.endpoint, request.has_image, request.status) == ("edits", True, 200)
    assert (request.model, request.size) == ("gpt-image-1", "1024x1024")
    assert bytes(result.data) == png("a heron in ink|gpt-image-1|edits|0")
