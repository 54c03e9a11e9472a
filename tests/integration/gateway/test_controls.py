"""The operator's controls through the gateway as deployed: ACCESS=allowlist with /allow and
/deny, the prompt blocklist, /pause and /resume (the generator's consumer itself pauses),
/stats, and a non-admin's attempt at them."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path

import nats.errors
import pytest
from nats.aio.subscription import Subscription
from nats.js import JetStreamContext

from easel import bus
from easel.controls import CircuitStates
from easel.events import ImageRequested
from easel_devtools.standins import BotApiStandin
from easel_devtools.testing import holding
from easel_gateway.catalog import ENGLISH

Gateway = Callable[..., AbstractAsyncContextManager[None]]  # the conftest's `gateway`
ADMIN = 900
USER = 901
STATUS = ENGLISH("status-enhancing")


async def answer_to(telegram: BotApiStandin, chat: int, text: str, user: int) -> str:
    """The bot's first text after the user's message."""
    update = telegram.send_user_message(chat, text, user_id=user)

    def reply() -> str | None:
        later = [
            m.text
            for m in telegram.messages(chat)
            if m.from_bot and m.message_id > update.message_id
        ]
        return later[0] if later else None

    await telegram.wait_for_async(lambda: reply() is not None)
    answer = reply()
    assert answer is not None
    return answer


async def nothing_published(requested: Subscription) -> None:
    with pytest.raises(nats.errors.TimeoutError):
        await requested.next_msg(timeout=0.5)


async def test_an_allowlist_admits_the_admins_and_whom_they_allow(
    gateway: Gateway, telegram: BotApiStandin, requested: Subscription
) -> None:
    async with gateway(access="allowlist", admin_user_ids=frozenset({ADMIN})):
        assert await answer_to(telegram, USER, "/image a cat", USER) == ENGLISH("not-allowed")
        await nothing_published(requested)
        assert await answer_to(telegram, USER, f"/allow {USER}", USER) == ENGLISH("admins-only")

        assert await answer_to(telegram, ADMIN, "/image a cat", ADMIN) == STATUS  # no entry
        assert (await requested.next_msg(timeout=5)).subject == "image.requested.flux"
        assert (
            await answer_to(telegram, ADMIN, "/allow x", ADMIN)
            == "/allow <Telegram user id>, e.g. /allow 12345"
        )
        answer = await answer_to(telegram, ADMIN, f"/allow {USER}", ADMIN)
        assert answer == f"✅ User {USER} may use the bot."

        assert await answer_to(telegram, USER, "/image a cat", USER) == STATUS
        event = ImageRequested.model_validate_json((await requested.next_msg(timeout=5)).data)
        assert event.job.requester.user_id == USER

        await answer_to(telegram, ADMIN, f"/deny {USER}", ADMIN)
        assert await answer_to(telegram, USER, "/image a dog", USER) == ENGLISH("not-allowed")
        await nothing_published(requested)


async def test_open_access_keeps_out_only_the_denied(
    gateway: Gateway, telegram: BotApiStandin, requested: Subscription
) -> None:
    async with gateway(admin_user_ids=frozenset({ADMIN})):
        assert await answer_to(telegram, USER, "/image a cat", USER) == STATUS
        await requested.next_msg(timeout=5)
        await answer_to(telegram, ADMIN, f"/deny {USER}", ADMIN)
        assert await answer_to(telegram, USER, "/image a cat", USER) == ENGLISH("not-allowed")
        await nothing_published(requested)


async def test_a_blocked_prompt_is_refused_politely_and_changes_nothing(
    gateway: Gateway, telegram: BotApiStandin, requested: Subscription, tmp_path: Path
) -> None:
    blocklist = tmp_path / "blocklist.txt"
    blocklist.write_text("# the operator's words\ngore\nre:blood\\s*bath\n")
    async with gateway(blocklist_file=blocklist):
        for prompt in ("a GORE scene", "a bloodbath", "ｇｏｒｅ"):
            assert await answer_to(telegram, USER, f"/image {prompt}", USER) == ENGLISH("blocked")
        await nothing_published(requested)
        assert await answer_to(telegram, USER, "/image a gorgeous cat", USER) == STATUS
        await requested.next_msg(timeout=5)


async def test_a_paused_model_holds_its_jobs_and_says_why(
    gateway: Gateway, telegram: BotApiStandin, requested: Subscription, js: JetStreamContext
) -> None:
    durable = bus.generator_consumer("flux")
    async with gateway(admin_user_ids=frozenset({ADMIN})):
        assert await answer_to(telegram, USER, "/pause flux", USER) == ENGLISH("admins-only")
        assert not (await js.consumer_info(bus.PROMPTS, durable)).paused

        answer = await answer_to(telegram, ADMIN, "/pause flux GPU maintenance", ADMIN)
        assert answer.startswith("⏸ flux is paused")
        assert (await js.consumer_info(bus.PROMPTS, durable)).paused
        assert not (await js.consumer_info(bus.PROMPTS, bus.generator_consumer("sdxl"))).paused

        status = await answer_to(telegram, USER, "/image=flux=a cat", USER)
        assert status == (
            f"{STATUS}\n⏸ FLUX is paused: GPU maintenance. Your request keeps its place in line."
        )
        await requested.next_msg(timeout=5)  # queued all the same: it waits in line
        assert await answer_to(telegram, USER, "/image=sdxl=a cat", USER) == STATUS

        await holding(js, bus.HISTORY, 2)  # sourced from the work streams a moment later
        circuits = CircuitStates(await js.key_value(bus.CONTROLS_BUCKET))
        await circuits.record("sdxl", "open")  # as a generator replica shares it
        stats = await answer_to(telegram, ADMIN, "/stats", ADMIN)
        assert "flux: ⏸ paused, circuit closed" in stats
        assert "sdxl: running, circuit open since " in stats
        assert "last hour: 1 requested" in stats

        assert await answer_to(telegram, ADMIN, "/resume flux", ADMIN) == "▶️ flux resumed."
        assert not (await js.consumer_info(bus.PROMPTS, durable)).paused
        assert await answer_to(telegram, ADMIN, "/resume flux", ADMIN) == "flux was not paused."
        assert await answer_to(telegram, USER, "/image=flux=a dog", USER) == STATUS
        assert await answer_to(telegram, ADMIN, "/pause kandinsky", ADMIN) == (
            "/pause <model> — one of flux, sdxl"
        )
