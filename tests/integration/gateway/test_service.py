"""The gateway wired as in production (`build` from its composition root), polling the
Bot API stand-in and publishing to a real nats-server."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import nats.errors
import pytest
import stamina
from nats.aio.client import Client
from nats.aio.subscription import Subscription
from nats.js import JetStreamContext
from prometheus_client import REGISTRY as METRICS
from pydantic import SecretStr

from easel import bus
from easel.events import ImageRequested
from easel.natsserver import NatsServer
from easel.runtime import Runtime
from easel_devtools.standins import DEFAULT_TOKEN, BotApiStandin, ChatMessage
from easel_devtools.testing import REGISTRY
from easel_gateway.__main__ import build
from easel_gateway.settings import Settings
from easel_gateway.telegram.failure import GatewayFailed
from easel_gateway.telegram.updates import UpdateSource

STATUS = "🎨 Enhancing prompt…"
QUEUE_FAILED = "⚠️ Easel could not queue your request right now; please try again."


def outcome_count(outcome: str) -> float:
    value = METRICS.get_sample_value("easel_gateway_requests_total", {"outcome": outcome})
    return value or 0.0


class Harness:
    def __init__(self, telegram: BotApiStandin, js: JetStreamContext, poller: UpdateSource) -> None:
        self.telegram = telegram
        self.js = js
        self.poller = poller

    async def settle(self, seconds: float = 15.0) -> None:
        """Every update sent so far has been fetched and fully handled."""
        # Telegram forgets an update once the next getUpdates confirms it; by then the
        # dispatcher has started its task, which MessageContext tracks until it ends.
        await self.telegram.wait_for_async(lambda: self.telegram.pending_update_count == 0)
        assert await self.poller.context.drain(seconds) == 0

    async def published(self) -> int:
        return (await self.js.stream_info(bus.REQUESTS)).state.messages

    def bot_texts(self, chat_id: int) -> list[str | None]:
        return [m.text for m in self.telegram.bot_visible_messages(chat_id)]

    async def replies(self, chat_id: int, count: int, seconds: float = 10.0) -> list[ChatMessage]:
        await self.telegram.wait_for_async(
            lambda: len(self.telegram.bot_visible_messages(chat_id)) >= count, seconds
        )
        return self.telegram.bot_visible_messages(chat_id)


@asynccontextmanager
async def gateway(
    source: Any, js: JetStreamContext, telegram: BotApiStandin, **overrides: Any
) -> AsyncIterator[Harness]:
    # Out of the way unless a test sets it: no job here ever ends (no notifier runs).
    overrides.setdefault("max_active_jobs_per_user", 1_000)
    config = Settings(
        telegram_bot_token=SecretStr(DEFAULT_TOKEN),
        telegram_api_url=telegram.base_url,
        **overrides,
    )
    async with source(config) as poller:
        await telegram.wait_for_async(lambda: telegram.calls["getUpdates"] > 0)
        yield Harness(telegram, js, poller)


@pytest.fixture
async def gw(source: Any, js: JetStreamContext, telegram: BotApiStandin) -> AsyncIterator[Harness]:
    async with gateway(source, js, telegram) as harness:
        yield harness


async def next_request(sub: Subscription) -> ImageRequested:
    msg = await sub.next_msg(timeout=10.0)
    return ImageRequested.model_validate_json(msg.data)


async def test_image_command_shows_status_and_publishes_one_request(
    gw: Harness, requested: Subscription
) -> None:
    update = gw.telegram.send_user_message(
        4242, "/image=flux=a cat", user_id=4242, language_code="de"
    )
    event = await next_request(requested)
    [status] = await gw.replies(4242, 1)
    assert status.text == STATUS
    assert event.subject == "image.requested.flux"
    assert event.job_id == f"tg_4242_{update.message_id}"
    assert event.job.original_prompt == "a cat"
    assert event.job.requester is not None
    assert event.job.requester.chat_id == 4242
    assert event.job.requester.user_id == 4242
    assert event.job.requester.status_message_id == status.message_id
    assert event.job.requester.language_code == "de"
    await gw.settle()
    assert await gw.published() == 1


async def test_every_command_form_picks_the_right_model(
    gw: Harness, requested: Subscription
) -> None:
    sent = {
        "/image a cat": ("flux", "a cat"),
        "/sdxl a dog": ("sdxl", "a dog"),
        "/image sdxl a dog": ("sdxl", "a dog"),
        "/IMAGE@easel_standin_bot=SDXL=a  dog\non a\u200b mat": ("sdxl", "a dog on a mat"),
        "/Flux@easel_standin_bot a fox": ("flux", "a fox"),
    }
    jobs = {}
    for chat, text in enumerate(sent, start=101):
        update = gw.telegram.send_user_message(chat, text)
        jobs[f"tg_{chat}_{update.message_id}"] = sent[text]
    events = [await next_request(requested) for _ in sent]
    assert {e.job_id: (e.model, e.job.original_prompt) for e in events} == jobs


async def test_group_chats_get_job_ids_without_a_minus_sign(
    gw: Harness, requested: Subscription
) -> None:
    update = gw.telegram.send_user_message(-1001234567890, "/image a cat", user_id=7)
    event = await next_request(requested)
    assert event.job_id == f"tg_n1001234567890_{update.message_id}"
    assert event.job.requester is not None
    assert event.job.requester.chat_id == -1001234567890


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/image=dalle=a cat", "Unknown model “dalle”. Available: flux, sdxl."),
        ("/image=flux=", "Empty prompt — try /image=flux=a cat"),
        ("/image", "Empty prompt — try /image=flux=a cat"),
        ("/sdxl \x00\u200b\u202e \t", "Empty prompt — try /image=sdxl=a cat"),
        ("/image " + "x" * 1001, "Prompt is 1,001 characters; the limit is 1,000."),
    ],
    ids=["unknown-model", "empty", "bare", "control-chars-only", "1001-chars"],
)
async def test_bad_input_gets_a_clear_reply_and_changes_nothing(
    gw: Harness, text: str, expected: str
) -> None:
    gw.telegram.send_user_message(55, text)
    [reply] = await gw.replies(55, 1)
    assert reply.text is not None
    assert expected in reply.text
    await gw.settle()
    assert gw.bot_texts(55) == [reply.text]  # no status message
    assert await gw.published() == 0
    for bucket in (bus.JOB_CLAIMS_BUCKET, bus.RATE_LIMIT_BUCKET):
        kv = await gw.js.key_value(bucket)
        with pytest.raises(nats.js.errors.NoKeysError):
            await kv.keys()  # no claim, no rate-limit slot


async def test_eleventh_request_in_the_window_is_refused(
    gw: Harness, requested: Subscription
) -> None:
    for i in range(11):
        gw.telegram.send_user_message(77, f"/image a cat number {i}")
    replies = await gw.replies(77, 11)
    await gw.settle()
    texts = [m.text for m in replies]
    assert texts.count(STATUS) == 10
    [refusal] = [t for t in texts if t != STATUS]
    assert refusal is not None
    assert refusal.startswith("⏱️ Slow down: at most 10 images per 60 s. Try again in ")
    assert int(refusal.rsplit(" ", 2)[-2]) in range(50, 61)
    assert await gw.published() == 10
    # Another user is not affected.
    gw.telegram.send_user_message(78, "/image a dog")
    assert (await next_request(requested)).job.requester is not None
    assert (await gw.replies(78, 1))[0].text == STATUS


async def test_a_redelivered_update_makes_one_job(gw: Harness, requested: Subscription) -> None:
    before = outcome_count("rejected_duplicate")
    update = gw.telegram.send_user_message(4242, "/image=sdxl=a lighthouse")
    gw.telegram.redeliver(update)  # in the same batch: handled concurrently
    event = await next_request(requested)
    await gw.settle()
    gw.telegram.redeliver(update)  # later, e.g. after a restart before the offset was confirmed
    await gw.settle()
    assert event.job_id == f"tg_4242_{update.message_id}"
    assert await gw.published() == 1
    assert gw.bot_texts(4242) == [STATUS]
    assert outcome_count("rejected_duplicate") - before == 2


async def test_help_models_and_unknown_commands(gw: Harness) -> None:
    gw.telegram.send_user_message(300, "/start")
    gw.telegram.send_user_message(301, "/help@easel_standin_bot")
    gw.telegram.send_user_message(302, "/models")
    gw.telegram.send_user_message(303, "/settings")
    gw.telegram.send_user_message(-304, "/settings", user_id=9)  # a group: maybe another bot's
    gw.telegram.send_user_message(-305, "/settings@easel_standin_bot", user_id=9)
    gw.telegram.send_user_message(306, "hello there")  # not a command: ignored
    gw.telegram.send_user_message(307, "/help@other_bot")
    await gw.settle()
    [start], [help_], [models] = (gw.bot_texts(c) for c in (300, 301, 302))
    assert start is not None
    assert help_ is not None
    assert start.startswith("👋") and help_ in start  # noqa: PT018
    assert "/image=sdxl=<prompt>" in help_
    assert models is not None
    assert "flux — FLUX (default)" in models
    assert gw.bot_texts(303) == ["I don't know /settings. Send /help to see what I can do."]
    assert gw.bot_texts(-304) == []
    assert gw.bot_texts(-305) == ["I don't know /settings. Send /help to see what I can do."]
    assert gw.bot_texts(306) == []
    assert gw.bot_texts(307) == []
    assert await gw.published() == 0


async def test_flood_control_is_waited_out_so_every_command_is_answered(
    nc: Client, js: JetStreamContext, telegram: BotApiStandin, source: Any
) -> None:
    telegram.set_flood_limits(True)
    # Stricter than the bot's budget reckons: Telegram does not publish its exact limits,
    # so a 429 can still come, and must be waited out.
    telegram.per_chat_burst = 2
    retries = METRICS.get_sample_value(
        "easel_gateway_telegram_retries_total", {"method": "sendMessage"}
    )
    async with gateway(source, js, telegram) as gw:
        for i in range(15):
            telegram.send_user_message(4242, f"/image a cat, take {i}")
        replies = await gw.replies(4242, 15, seconds=40)
        await gw.settle()
        texts = [m.text for m in replies]
        assert len(texts) == 15
        assert texts.count(STATUS) == 10
        assert sum(1 for t in texts if t and t.startswith("⏱️ Slow down")) == 5
        assert await gw.published() == 10
    assert telegram.retry_after_count > 0
    after = METRICS.get_sample_value(
        "easel_gateway_telegram_retries_total", {"method": "sendMessage"}
    )
    assert (after or 0) - (retries or 0) == telegram.retry_after_count


async def test_a_burst_from_many_chats_is_paced_and_nobody_is_dropped(
    nc: Client, js: JetStreamContext, telegram: BotApiStandin, source: Any
) -> None:
    # 40 chats × 3 commands at once: more status messages than the bot may send in 4 s.
    # Found by `just bench` (telegram): with retries capped at 5, 54 of 300 were dropped.
    telegram.set_flood_limits(True)
    chats = range(5000, 5040)
    async with gateway(source, js, telegram) as gw:
        for take in range(3):
            for chat in chats:
                telegram.send_user_message(chat, f"/image a cat, take {take}")
        for chat in chats:
            replies = await gw.replies(chat, 3, seconds=60)
            assert [m.text for m in replies] == [STATUS] * 3
        await gw.settle()
        assert await gw.published() == 120
    assert telegram.retry_after_count < 30  # paced: 429s are the exception, not the rule


@pytest.fixture
def stamina_without_waits() -> Iterator[None]:
    stamina.set_testing(True, attempts=1)
    yield
    stamina.set_testing(False)


@pytest.mark.usefixtures("stamina_without_waits")
async def test_a_failed_publish_turns_the_status_into_an_apology(gw: Harness) -> None:
    before = outcome_count("failed_bus")
    await gw.js.delete_stream(bus.REQUESTS)  # nothing stores image.requested.* any more
    gw.telegram.send_user_message(4242, "/image a cat")
    await gw.telegram.wait_for_async(lambda: gw.bot_texts(4242) == [QUEUE_FAILED])
    await gw.settle()
    [status] = gw.telegram.bot_visible_messages(4242)
    assert [text for _, text in status.edits] == [QUEUE_FAILED]  # the status, edited in place
    assert outcome_count("failed_bus") - before == 1


@pytest.mark.usefixtures("stamina_without_waits")  # else 20 s of retries first
async def test_nats_down_gets_a_try_again_reply(gw: Harness, nats_server: NatsServer) -> None:
    nats_server.stop()
    gw.telegram.send_user_message(4242, "/image a cat")
    [reply] = await gw.replies(4242, 1, seconds=20)
    assert reply.text == QUEUE_FAILED
    await gw.settle()
    assert gw.bot_texts(4242) == [QUEUE_FAILED]
    # Once NATS is back, the next command goes through.
    nats_server.start()
    gw.telegram.send_user_message(4242, "/image a cat, again")
    await gw.replies(4242, 2, seconds=20)
    await gw.settle()
    assert gw.bot_texts(4242) == [QUEUE_FAILED, STATUS]
    assert await gw.published() == 1


async def test_a_token_telegram_refuses_stops_the_gateway(
    nc: Client, js: JetStreamContext, telegram: BotApiStandin
) -> None:
    config = Settings(
        telegram_bot_token=SecretStr("42:revoked"), telegram_api_url=telegram.base_url
    )
    await bus.provision(js, config, REGISTRY)
    async with contextlib.AsyncExitStack() as stack:
        poller = await build(Runtime(config, REGISTRY, nc, js, asyncio.Event()), stack)
        with pytest.raises(GatewayFailed, match="Unauthorized"):
            await asyncio.wait_for(poller.run(asyncio.Event()), timeout=15)
    assert telegram.responses[("getMe", 401)] == 1
    assert await poller.readiness() == "not polling Telegram"
