"""End to end through the HTTP API with the official `openai` client: the four service
processes, the worker and LLM stand-ins; OpenAI's errors and statuses for bad input."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json

import httpx
import nats
import openai
import pytest
from openai import OpenAI

from easel import bus
from easel.events import ImageCancelled
from easel_devtools.harness import API_KEY, EaselSystem
from easel_devtools.paths import ROOT
from easel_devtools.standins import Behaviour

pytestmark = pytest.mark.e2e


@pytest.fixture
def client(system: EaselSystem) -> OpenAI:
    return OpenAI(base_url=f"{system.api_url}/v1", api_key=API_KEY, max_retries=0, timeout=60)


def worker_image(system: EaselSystem, prompt: str) -> str:
    """The sha256 of the image the FLUX worker rendered for a prompt containing `prompt`."""
    return next(j.sha256 for j in system.flux.jobs if prompt in (j.prompt or "") and j.sha256)


def test_the_openai_client_gets_the_workers_images_and_the_enhanced_prompt(
    system: EaselSystem, client: OpenAI
) -> None:
    answer = client.images.generate(model="flux", prompt="a fox in the snow", n=2)
    assert len(answer.data) == 2
    for image in answer.data:
        assert image.b64_json is not None
        digest = hashlib.sha256(base64.b64decode(image.b64_json)).hexdigest()
        assert digest in {j.sha256 for j in system.flux.jobs if "a fox in the snow" in j.prompt}
        assert image.revised_prompt is not None
        assert "golden hour" in image.revised_prompt  # the LLM stand-in's enhancement
    assert answer.created > 0


def test_a_url_answer_links_the_image_without_a_key(system: EaselSystem, client: OpenAI) -> None:
    answer = client.images.generate(
        model="flux", prompt="a lantern by the sea", response_format="url"
    )
    url = answer.data[0].url
    assert url is not None
    assert url.startswith(f"{system.api_url}/files/api_")
    fetched = httpx.get(url, timeout=10)
    assert fetched.status_code == 200
    assert hashlib.sha256(fetched.content).hexdigest() == worker_image(system, "a lantern by")
    unknown = httpx.get(f"{system.api_url}/files/api_{'0' * 32}", timeout=10)
    assert unknown.status_code == 404
    assert unknown.json()["error"]["type"] == "invalid_request_error"


def test_the_models_are_listed(client: OpenAI) -> None:
    assert sorted(model.id for model in client.models.list()) == ["flux", "sdxl"]


def test_a_wrong_or_missing_key_is_401(system: EaselSystem) -> None:
    wrong = OpenAI(base_url=f"{system.api_url}/v1", api_key="easel_not-a-key", max_retries=0)
    with pytest.raises(openai.AuthenticationError) as caught:
        wrong.models.list()
    assert caught.value.code == "invalid_api_key"
    bare = httpx.get(f"{system.api_url}/v1/models", timeout=10)
    assert bare.status_code == 401
    assert set(bare.json()["error"]) == {"message", "type", "param", "code"}


def test_bad_input_gets_a_clear_error_and_publishes_nothing(
    system: EaselSystem, client: OpenAI
) -> None:
    before = system.stream_messages(bus.REQUESTS)
    with pytest.raises(openai.BadRequestError) as caught:
        client.images.generate(model="dalle-9", prompt="a cat")
    assert (caught.value.code, caught.value.param) == ("model_not_found", "model")
    with pytest.raises(openai.BadRequestError) as caught:
        client.images.generate(model="flux", prompt="a cat", size="huge")  # type: ignore[arg-type]
    assert caught.value.param == "size"
    with pytest.raises(openai.BadRequestError) as caught:
        client.images.generate(model="flux", prompt=" \u200b\n ")
    assert caught.value.param == "prompt"
    with pytest.raises(openai.BadRequestError) as caught:
        client.images.generate(model="flux", prompt="a cat", n=5)
    assert caught.value.param == "n"

    url = f"{system.api_url}/v1/images/generations"
    auth = {"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"}
    garbled = httpx.post(url, content=b"{not json", headers=auth, timeout=10)
    assert garbled.status_code == 400
    assert garbled.json()["error"]["message"] == "The body is not a JSON object."
    huge = json.dumps({"model": "flux", "prompt": "a" * 100_000})
    too_big = httpx.post(url, content=huge, headers=auth, timeout=10)
    assert too_big.status_code == 413
    assert "error" in too_big.json()
    assert system.stream_messages(bus.REQUESTS) == before


def test_a_backend_failure_is_a_gateway_error(system: EaselSystem, client: OpenAI) -> None:
    system.flux.script([Behaviour(status=401)])  # the worker refuses Easel's credentials
    with pytest.raises(openai.InternalServerError) as caught:
        client.images.generate(model="flux", prompt="a refused request")
    assert caught.value.status_code == 502
    assert caught.value.code == "auth"


def test_a_client_that_goes_away_cancels_its_job(system: EaselSystem) -> None:
    system.flux.script([Behaviour(delay=20.0)])
    impatient = OpenAI(base_url=f"{system.api_url}/v1", api_key=API_KEY, max_retries=0, timeout=1.5)
    with pytest.raises(openai.APITimeoutError):
        impatient.images.generate(model="flux", prompt="an impatient client")
    cancelled = asyncio.run(_cancelled_within(system, "an impatient client", 15.0))
    assert cancelled


async def _cancelled_within(system: EaselSystem, prompt: str, seconds: float) -> bool:
    """Whether an image.cancelled for the job with this prompt is stored within `seconds`."""
    nc = await nats.connect(bus.servers(system.nats.url))
    try:
        js = nc.jetstream()
        sub = await js.subscribe("image.cancelled.flux", ordered_consumer=True)
        try:
            async with asyncio.timeout(seconds):
                while True:
                    msg = await sub.next_msg(timeout=seconds)
                    event = ImageCancelled.model_validate_json(msg.data)
                    if event.job.original_prompt == prompt:
                        return True
        except TimeoutError:
            return False
    finally:
        await nc.close()


def test_the_openapi_schema_is_served_as_documented(system: EaselSystem) -> None:
    served = httpx.get(f"{system.api_url}/openapi.json", timeout=10)  # no key needed
    assert served.status_code == 200
    documented = json.loads((ROOT / "docs" / "openapi.json").read_text())
    assert served.json() == documented
    assert set(documented["paths"]) >= {"/v1/images/generations", "/v1/jobs/{job_id}/events"}
