"""End to end through the backends people self-host: a MODELS_FILE with AUTOMATIC1111
(`forge`), ComfyUI (`comfy`) and OpenAI's Images API (`dalle`) beside the plain workers.
A Telegram user and an API client get each one's image, untouched; a refusal reaches the
user as the moderation message; no backend secret reaches a log."""

from __future__ import annotations

import base64
import json
import time

import httpx
import pytest

from easel_devtools.harness import API_KEY, EaselSystem
from easel_devtools.harness.selfhosted import FORGE_PASSWORD, OPENAI_KEY, SelfHosted
from easel_devtools.standins import png

pytestmark = pytest.mark.e2e
WAIT = 60.0
_chats = iter(range(7_100, 7_200))


@pytest.fixture(scope="module")
def system(self_hosted_system: EaselSystem) -> EaselSystem:
    return self_hosted_system


def photo_of(system: EaselSystem, text: str) -> bytes:
    """A new user sends `text`; the one photo they get."""
    chat = next(_chats)
    system.telegram.send_user_message(chat, text)
    system.telegram.wait_for(lambda: len(system.telegram.photos(chat)) == 1, timeout=WAIT)
    return system.telegram.photos(chat)[0][0]


def test_a_forge_image_reaches_the_user(system: EaselSystem, backends: SelfHosted) -> None:
    photo = photo_of(system, "/image=forge=a lighthouse at dusk")
    [job] = [j for j in backends.forge.jobs if "a lighthouse at dusk" in j.prompt]
    assert "golden hour" in job.prompt  # the enhanced prompt
    assert (job.width, job.height, job.steps) == (832, 1216, 12)  # the model's config
    assert job.negative_prompt == "blurry, watermark"
    assert job.seed is not None
    assert photo == png(f"{job.prompt}|{job.seed}")


def test_a_comfyui_image_reaches_the_user(system: EaselSystem, backends: SelfHosted) -> None:
    photo = photo_of(system, "/image=comfy=a fox in fresh snow")
    [record] = [r for r in backends.comfy.prompts if "a fox in fresh snow" in (r.positive or "")]
    assert record.status == "success"
    assert (record.width, record.height) == (512, 768)
    assert photo == png(record.positive or "", width=512, height=768)


def test_a_dalle_image_reaches_the_user(system: EaselSystem, backends: SelfHosted) -> None:
    photo = photo_of(system, "/image=dalle=a bowl of ramen")
    [request] = [r for r in backends.openai.requests if "a bowl of ramen" in (r.prompt or "")]
    assert (request.model, request.size) == ("dall-e-3", "1024x1024")
    assert photo == png(f"{request.prompt}|dall-e-3|generations|0")


def test_a_refused_prompt_reaches_the_user_as_the_safety_message(
    system: EaselSystem, backends: SelfHosted
) -> None:
    chat = next(_chats)
    system.telegram.send_user_message(chat, "/image=dalle=something forbidden")
    system.telegram.wait_for(
        lambda: any(
            "safety filter" in (m.texts[-1] if m.texts else "")
            for m in system.telegram.bot_visible_messages(chat)
        ),
        timeout=WAIT,
    )
    refused = [r for r in backends.openai.requests if "something forbidden" in (r.prompt or "")]
    assert [r.error_code for r in refused] == ["content_policy_violation"]  # tried once
    assert system.telegram.photos(chat) == []


def test_an_api_client_gets_a_comfyui_image(system: EaselSystem, backends: SelfHosted) -> None:
    answer = httpx.post(
        f"{system.api_url}/v1/images/generations",
        json={"model": "comfy", "prompt": "a kite over dunes"},
        headers={"Authorization": f"Bearer {API_KEY}"},
        timeout=WAIT,
    )
    assert answer.status_code == 200, answer.text
    image = base64.b64decode(answer.json()["data"][0]["b64_json"])
    [record] = [r for r in backends.comfy.prompts if "a kite over dunes" in (r.positive or "")]
    assert image == png(record.positive or "", width=512, height=768)
    models = httpx.get(
        f"{system.api_url}/v1/models", headers={"Authorization": f"Bearer {API_KEY}"}
    ).json()
    assert [m["id"] for m in models["data"]] == [
        "flux",
        "sdxl",
        "forge",
        "comfy",
        "comfy-edit",
        "dalle",
        "gpt-image",
    ]


def test_no_backend_secret_is_logged(system: EaselSystem) -> None:
    logs = system.logs()
    assert FORGE_PASSWORD not in logs
    assert OPENAI_KEY not in logs


def test_the_telegram_status_shows_the_renders_progress(
    system: EaselSystem, backends: SelfHosted
) -> None:
    backends.forge.service_time = 3.0  # long enough for a few reports
    try:
        chat = next(_chats)
        system.telegram.send_user_message(chat, "/image=forge=a slow tide")
        system.telegram.wait_for(lambda: len(system.telegram.photos(chat)) == 1, timeout=WAIT)
    finally:
        backends.forge.service_time = 0.0
    texts = [t for m in system.telegram.messages(chat) if m.from_bot for t in m.texts]
    shown = [t for t in texts if t.startswith("🖼️ Generating with Forge… ") and t.endswith("%")]
    assert shown, texts
    percents = [int(t.rsplit(" ", 1)[1].rstrip("%")) for t in shown]
    assert percents == sorted(percents)
    assert all(0 <= p <= 100 for p in percents)


def test_an_api_clients_event_stream_shows_the_renders_progress(
    system: EaselSystem, backends: SelfHosted
) -> None:
    backends.comfy.service_time = 3.0
    headers = {"Authorization": f"Bearer {API_KEY}"}
    try:
        with httpx.Client(base_url=system.api_url, headers=headers, timeout=WAIT) as api:
            made = api.post("/v1/jobs", json={"model": "comfy", "prompt": "a slow comet"})
            job_id = made.json()["id"]
            views = []
            with api.stream("GET", f"/v1/jobs/{job_id}/events") as stream:
                for line in stream.iter_lines():
                    if line.startswith("data: "):
                        views.append(json.loads(line[6:]))
    finally:
        backends.comfy.service_time = 0.0
    progress = [v["progress"] for v in views if v["state"] == "generating"]
    assert any(p is not None for p in progress), views
    assert [p for p in progress if p is not None] == sorted(p for p in progress if p is not None)
    assert views[-1]["state"] == "succeeded"
    assert views[-1]["progress"] is None


def test_parameters_reach_the_backend_and_the_caption_names_the_seed(
    system: EaselSystem, backends: SelfHosted
) -> None:
    chat = next(_chats)
    text = "/image=forge=a heron at dawn --size 1024x1024 --seed 42 --no people --steps 20"
    system.telegram.send_user_message(chat, text)
    system.telegram.wait_for(lambda: len(system.telegram.photos(chat)) == 1, timeout=WAIT)
    [job] = [j for j in backends.forge.jobs if "a heron at dawn" in j.prompt]
    assert "--" not in job.prompt  # the flags are not part of the prompt
    assert (job.width, job.height, job.seed, job.steps) == (1024, 1024, 42, 20)
    assert job.negative_prompt == "people"  # the user's, over the model's default
    _, caption = system.telegram.photos(chat)[0]
    assert caption is not None
    assert "🌱 Seed: 42" in caption


def test_parameters_a_model_cannot_take_are_named_in_the_caption(system: EaselSystem) -> None:
    chat = next(_chats)
    system.telegram.send_user_message(chat, "/image=flux=a paper boat --seed 5 --ar 16:9")
    system.telegram.wait_for(lambda: len(system.telegram.photos(chat)) == 1, timeout=WAIT)
    _, caption = system.telegram.photos(chat)[0]
    assert caption is not None
    assert "⚙️ Ignored (not for FLUX): --seed --ar" in caption
    [prompt] = [j.prompt for j in system.flux.jobs if "a paper boat" in (j.prompt or "")]
    assert prompt is not None
    assert "--" not in prompt


def test_a_size_the_model_does_not_make_is_refused_with_the_ones_it_does(
    system: EaselSystem,
) -> None:
    chat = next(_chats)
    before = system.stream_messages("EASEL_REQUESTS")
    system.telegram.send_user_message(chat, "/image=forge=a cat --size 512x512")
    system.telegram.wait_for(lambda: bool(system.telegram.bot_visible_messages(chat)), timeout=WAIT)
    [reply] = system.telegram.bot_visible_messages(chat)
    assert reply.text == "⚙️ Forge makes 832x1216, 1024x1024; not 512x512."
    assert system.stream_messages("EASEL_REQUESTS") == before


def test_an_api_client_gives_parameters_and_a_bad_size_is_a_400(
    system: EaselSystem, backends: SelfHosted
) -> None:
    headers = {"Authorization": f"Bearer {API_KEY}"}
    with httpx.Client(base_url=system.api_url, headers=headers, timeout=WAIT) as api:
        body = {"model": "forge", "prompt": "a tin robot", "size": "1024x1024", "seed": 9}
        made = api.post("/v1/jobs", json=body)
        assert made.status_code == 202, made.text
        refused = api.post("/v1/images/generations", json={**body, "size": "640x480"})
        assert refused.status_code == 400
        assert refused.json()["error"]["param"] == "size"
        assert refused.json()["error"]["message"] == (
            "Forge makes 832x1216, 1024x1024; not 640x480."
        )
        job_id = made.json()["id"]
        deadline = time.monotonic() + WAIT
        while (view := api.get(f"/v1/jobs/{job_id}").json())["state"] != "succeeded":
            assert time.monotonic() < deadline, "the job never succeeded"
            time.sleep(0.1)  # polling the view, as a client without SSE does
        assert view["parameters"] == {"size": "1024x1024", "seed": 9}
    [job] = [j for j in backends.forge.jobs if "a tin robot" in j.prompt]
    assert (job.width, job.height, job.seed) == (1024, 1024, 9)
