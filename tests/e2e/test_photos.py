"""End to end, a job that starts from a photo, and the buttons under a delivered one: a
Telegram user sends a photo with the command as its caption, or replies to a photo with
it; the photo is fetched once and reaches AUTOMATIC1111's img2img, a ComfyUI workflow that
loads it, or OpenAI's edits. A model that cannot start from a photo says so and nothing is
queued. "🔁 Again" makes the same request with a new seed; "🎲 Variation" starts from the
delivered photo; only the job's owner may press them."""

from __future__ import annotations

import pytest

from easel_devtools.harness import EaselSystem
from easel_devtools.harness.selfhosted import SelfHosted
from easel_devtools.standins import BotApiStandin, ChatMessage, png

pytestmark = pytest.mark.e2e
WAIT = 60.0
_chats = iter(range(7_300, 7_400))
PHOTO = png("a photo of a heron", width=640, height=960)


@pytest.fixture(scope="module")
def system(self_hosted_system: EaselSystem) -> EaselSystem:
    return self_hosted_system


def delivered(telegram: BotApiStandin, chat: int, count: int = 1) -> list[ChatMessage]:
    """The bot's photos in the chat, once there are `count`."""
    telegram.wait_for(lambda: len(telegram.photos(chat)) >= count, timeout=WAIT)
    return [m for m in telegram.messages(chat) if m.from_bot and m.photo]


def answer_to(telegram: BotApiStandin, chat: int) -> str:
    """The bot's one text message in the chat: its answer to a request it refused."""
    telegram.wait_for(lambda: bool(telegram.bot_visible_messages(chat)), timeout=WAIT)
    [reply] = telegram.bot_visible_messages(chat)
    return reply.text or ""


def test_a_photo_with_the_command_as_caption_goes_to_img2img(
    system: EaselSystem, backends: SelfHosted
) -> None:
    chat = next(_chats)
    downloads = len(system.telegram.downloads())
    caption = "/image=forge=a heron in ink --strength 0.4"
    system.telegram.send_user_photo(chat, PHOTO, caption=caption)
    [photo] = delivered(system.telegram, chat)
    [job] = [j for j in backends.forge.jobs if "a heron in ink" in j.prompt]
    assert (job.endpoint, job.init_image, job.denoising_strength) == ("img2img", True, 0.4)
    assert (job.width, job.height) == (832, 1216)  # the model's size nearest the photo's shape
    assert photo.photo == png(f"{job.prompt}|{job.seed}")
    assert len(system.telegram.downloads()) == downloads + 1  # fetched once
    [(again, again_data), (variation, variation_data)] = photo.buttons
    assert (again, variation) == ("🔁 Again", "🎲 Variation")
    assert again_data is not None
    assert variation_data is not None
    assert again_data.startswith("again:tg_")
    assert variation_data.startswith("vary:tg_")


def test_a_reply_to_a_photo_starts_a_comfyui_workflow_from_it(
    system: EaselSystem, backends: SelfHosted
) -> None:
    chat = next(_chats)
    sent = system.telegram.send_user_photo(chat, png("a photo", width=80, height=56))
    system.telegram.send_user_message(
        chat, "/image=comfy-edit=a heron in ink", reply_to=sent.message_id
    )
    [photo] = delivered(system.telegram, chat)
    [record] = [r for r in backends.comfy.prompts if "a heron in ink" in (r.positive or "")]
    assert record.status == "success"
    assert record.source_image is not None
    assert record.source_image.startswith("easel_")
    assert (record.width, record.height) == (80, 56)  # the photo's own
    assert photo.photo == png(record.positive or "", width=80, height=56)


def test_an_openai_model_edits_the_photo_and_names_the_strength_it_ignored(
    system: EaselSystem, backends: SelfHosted
) -> None:
    chat = next(_chats)
    caption = "/image=gpt-image=a heron in ink --strength 0.5"
    system.telegram.send_user_photo(chat, PHOTO, caption=caption)
    [photo] = delivered(system.telegram, chat)
    [request] = [r for r in backends.openai.requests if "a heron in ink" in (r.prompt or "")]
    assert (request.endpoint, request.has_image, request.model) == ("edits", True, "gpt-image-1")
    assert request.size == "1024x1536"  # the photo's shape (2:3)
    assert photo.caption is not None
    assert "⚙️ Ignored (not for GPT Image): --strength" in photo.caption


def test_a_model_that_cannot_start_from_a_photo_says_so_and_queues_nothing(
    system: EaselSystem,
) -> None:
    chat = next(_chats)
    before = system.stream_messages("EASEL_REQUESTS")
    downloads = len(system.telegram.downloads())
    system.telegram.send_user_photo(chat, PHOTO, caption="/image=flux=a heron")
    assert answer_to(system.telegram, chat) == (
        "🖼️ FLUX cannot start from a photo. Models that can: Forge, ComfyUI edit, GPT Image."
    )
    assert system.stream_messages("EASEL_REQUESTS") == before
    assert len(system.telegram.downloads()) == downloads


def test_a_model_that_starts_from_a_photo_asks_for_one(system: EaselSystem) -> None:
    chat = next(_chats)
    system.telegram.send_user_message(chat, "/image=comfy-edit=a heron")
    assert answer_to(system.telegram, chat).startswith("🖼️ ComfyUI edit starts from a photo")


def test_again_renders_the_same_request_with_a_new_seed_and_variation_starts_from_the_photo(
    system: EaselSystem, backends: SelfHosted
) -> None:
    chat = next(_chats)
    telegram = system.telegram
    telegram.send_user_message(chat, "/image=forge=a red kite --steps 9")
    [first] = delivered(telegram, chat)
    again, vary = (data for _, data in first.buttons)
    assert again is not None
    assert vary is not None
    stranger = telegram.press_button(chat, first.message_id, again, user_id=chat + 50_000)
    telegram.wait_for(lambda: bool(telegram.callback_answers(stranger.callback_query_id)))
    [refused] = telegram.callback_answers(stranger.callback_query_id)
    assert (refused.text, refused.show_alert) == ("This is not your request.", True)

    telegram.press_button(chat, first.message_id, again)
    delivered(telegram, chat, 2)
    original, repeat = [j for j in backends.forge.jobs if j.prompt.startswith("a red kite")]
    assert repeat.prompt == original.prompt
    assert (repeat.endpoint, repeat.steps) == ("txt2img", 9)  # the same parameters
    assert repeat.seed != original.seed

    downloads = len(telegram.downloads())
    telegram.press_button(chat, first.message_id, vary)
    delivered(telegram, chat, 3)
    variation = [j for j in backends.forge.jobs if j.prompt.startswith("a red kite")][-1]
    assert (variation.endpoint, variation.init_image) == ("img2img", True)
    assert (variation.denoising_strength, variation.steps) == (0.35, 9)
    assert len(telegram.downloads()) == downloads + 1  # the delivered photo, from Telegram


def test_a_model_that_cannot_start_from_a_photo_offers_again_only(system: EaselSystem) -> None:
    chat = next(_chats)
    system.telegram.send_user_message(chat, "/image=flux=a paper lantern")
    [photo] = delivered(system.telegram, chat)
    assert [label for label, _ in photo.buttons] == ["🔁 Again"]
