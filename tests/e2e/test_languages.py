"""End to end in each language Easel speaks: a Telegram user whose app is set to English,
Persian, Turkish or Russian sees the status stages, an error and the caption in it; their
prompt reaches the model in English, and the caption shows their own words too. In Persian
the model, the place in line and the estimate stay readable inside right-to-left text.
/language switches languages, and the choice survives a restart of the gateway."""

from __future__ import annotations

import itertools
import re

import pytest

from easel.i18n import Texts
from easel_devtools.harness import EaselSystem
from easel_devtools.standins import BotApiStandin, ChatMessage
from easel_gateway.catalog import CATALOG as GATEWAY
from easel_gateway.telegram import texts as gateway_texts
from easel_notifier import texts as notifier

pytestmark = pytest.mark.e2e
WAIT = 60.0
_chats = itertools.count(8_100)
# The same request, as a user of each language writes it.
PROMPTS = {
    "en": "a cat on a windowsill",
    "fa": "یک گربه روی لبهٔ پنجره",
    "tr": "pencere kenarında bir kedi",
    "ru": "кот на подоконнике",
}
CODES = {"en": "en-US", "fa": "fa-IR", "tr": "tr", "ru": "ru"}  # as Telegram apps send them


def status_texts(telegram: BotApiStandin, chat: int) -> list[str]:
    """Every text the bot's status messages in the chat showed, in order."""
    return [text for m in telegram.messages(chat) if m.from_bot and not m.photo for text in m.texts]


def photos(telegram: BotApiStandin, chat: int, count: int = 1) -> list[ChatMessage]:
    telegram.wait_for(lambda: len(telegram.photos(chat)) >= count, timeout=WAIT)
    return [m for m in telegram.messages(chat) if m.from_bot and m.photo]


@pytest.mark.parametrize("language", ["en", "fa", "tr", "ru"])
def test_a_user_reads_the_stages_an_error_and_the_caption_in_their_language(
    system: EaselSystem, language: str
) -> None:
    chat, telegram = next(_chats), system.telegram
    code = CODES[language]
    said, told = GATEWAY.for_language(language), notifier.texts_for(language)
    telegram.send_user_message(chat, f"/image=flux={PROMPTS[language]}", language_code=code)
    [photo] = photos(telegram, chat)
    shown = status_texts(telegram, chat)
    assert shown[0] == said("status-enhancing")
    # The stages the notifier showed (edits coalesce: which ones depends on timing).
    in_line = notifier.queued(told, "FLUX", 987).split("987")[0].rstrip("\u2068")
    stages = (in_line, notifier.generating(told, "FLUX"), notifier.sending(told))
    assert len(shown) > 1
    assert all(text.startswith(stages) for text in shown[1:]), shown
    caption = photo.caption or ""
    assert caption.startswith(told("caption-head", model="FLUX"))
    assert told("caption-enhanced") in caption
    # The model saw English; the user's own words follow it.
    assert "a cat on a windowsill, golden hour light" in caption
    assert caption.endswith(told("caption-yours") + "\n" + PROMPTS[language])

    telegram.send_user_message(chat, "/image=kandinsky=a cat", language_code=code)
    expected = said("unknown-model", name="kandinsky", models="flux, sdxl")
    telegram.wait_for(lambda: expected in status_texts(telegram, chat), timeout=WAIT)


def test_in_persian_the_place_in_line_and_the_estimate_read_right(system: EaselSystem) -> None:
    telegram, fa = system.telegram, notifier.texts_for("fa")
    warm_up, first, second = next(_chats), next(_chats), next(_chats)
    # One render done first: FLUX then has a service time, so waiting comes with an estimate.
    telegram.send_user_message(warm_up, f"/image=flux={PROMPTS['fa']}", language_code="fa")
    photos(telegram, warm_up)

    def waiting() -> list[str]:
        return [t for t in status_texts(telegram, second) if t.startswith("⏳")]

    system.flux.service_time = 3.0  # the second user's request waits in line meanwhile
    try:
        telegram.send_user_message(first, f"/image=flux={PROMPTS['fa']}", language_code="fa")
        telegram.wait_for(lambda: system.flux.in_flight == 1, timeout=WAIT)  # FLUX's one slot
        telegram.send_user_message(second, f"/image=flux={PROMPTS['fa']}", language_code="fa")
        telegram.wait_for(lambda: bool(waiting()), timeout=WAIT)
    finally:
        system.flux.service_time = 0.0
    # Each placeable sits in a first-strong isolate: "FLUX" and the digits keep their own
    # direction inside the right-to-left sentence, which reads as Persian around them.
    line = waiting()[0]
    assert line.startswith(notifier.queued(fa, "FLUX", 1)), line
    assert "\u2068FLUX\u2069" in line
    estimate = line.split(" · ", 1)[1]
    assert re.search(r"\u2068\d+\u2069", estimate), line
    photos(telegram, second)


def test_language_switches_and_survives_a_restart_of_the_gateway(system: EaselSystem) -> None:
    chat, telegram = next(_chats), system.telegram
    ru: Texts = GATEWAY.for_language("ru")
    telegram.send_user_message(chat, "/language", language_code="en")
    telegram.wait_for(lambda: bool(telegram.bot_visible_messages(chat)), timeout=WAIT)
    [offer] = telegram.bot_visible_messages(chat)
    assert offer.text == GATEWAY.for_language("en")("language-choose")
    assert [label for label, _ in offer.buttons] == ["English", "فارسی", "Türkçe", "Русский"]
    telegram.press_button(chat, offer.message_id, f"language:ru:{chat}")
    telegram.wait_for(
        lambda: telegram.bot_visible_messages(chat)[0].text == ru("language-set"), timeout=WAIT
    )
    # The chat's command menu follows the choice, over the app's language.
    menu = {"type": "chat", "chat_id": chat}
    telegram.wait_for(lambda: bool(telegram.commands(scope=menu)), timeout=WAIT)
    assert telegram.commands(scope=menu) == gateway_texts.command_menu(ru)

    system["gateway"].restart()
    telegram.send_user_message(chat, "/image=flux=a red kite", language_code="en")
    [photo] = photos(telegram, chat)
    assert ru("status-enhancing") in status_texts(telegram, chat)
    told = notifier.texts_for("ru")
    assert (photo.caption or "").startswith(told("caption-head", model="FLUX"))


def test_without_an_llm_the_caption_does_not_claim_an_enhancement(system: EaselSystem) -> None:
    chat, telegram = next(_chats), system.telegram
    system.llm.mode = "down"
    try:
        telegram.send_user_message(chat, "/image=flux=a paper crane", language_code="en")
        [photo] = photos(telegram, chat)
    finally:
        system.llm.mode = "normal"
    en = notifier.texts_for("en")
    caption = photo.caption or ""
    assert en("caption-enhanced") not in caption
    assert caption.endswith(en("caption-prompt") + "\na paper crane")
