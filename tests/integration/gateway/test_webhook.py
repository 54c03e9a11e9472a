"""Webhook mode: the gateway serves Telegram's POSTs (here: `post_update`, doing what
Telegram does) and answers only once the job is claimed and published; the job claim
makes one job per update across replicas and takes over a request a dead replica left."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from nats.aio.client import Client
from nats.aio.subscription import Subscription
from nats.js import JetStreamContext
from nats.js.errors import NoKeysError
from prometheus_client import REGISTRY as METRICS
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr

from easel import bus
from easel.events import ImageRequested
from easel.natsserver import NatsServer, free_port
from easel_devtools.harness import ServiceProcess
from easel_devtools.harness.process import child_env
from easel_devtools.standins import DEFAULT_TOKEN, BotApiStandin, Update
from easel_gateway.core import claims, ratelimit
from easel_gateway.core.jobs import telegram_user
from easel_gateway.settings import Settings
from easel_gateway.stores.rate_limits import RateLimiter
from easel_gateway.telegram.bot import build_bot
from easel_gateway.telegram.updates import UpdateSource

SECRET = "webhook-secret_0123456789"
PUBLIC_URL = "https://easel.example.com"
ENDPOINT = f"{PUBLIC_URL}/telegram/webhook"
STATUS = "🎨 Enhancing prompt…"


async def post_update(url: str, update: Update, secret: str | None = SECRET) -> int:
    """POST an update the way Telegram delivers it to a webhook; returns the HTTP status."""
    headers = {} if secret is None else {"X-Telegram-Bot-Api-Secret-Token": secret}
    timeout = aiohttp.ClientTimeout(total=30)
    async with (
        aiohttp.ClientSession(timeout=timeout) as session,
        session.post(url, json=update.to_json(), headers=headers) as answer,
    ):
        await answer.read()
        return answer.status


def counter(name: str) -> float:
    return METRICS.get_sample_value(name) or 0.0


async def published(js: JetStreamContext) -> int:
    return int((await js.stream_info(bus.REQUESTS)).state.messages)


@asynccontextmanager
async def webhook_gateway(
    source: Any, telegram: BotApiStandin
) -> AsyncIterator[tuple[UpdateSource, str]]:
    """The gateway wired as in production, in webhook mode; yields it and its POST URL."""
    port = free_port()
    config = Settings(
        telegram_bot_token=SecretStr(DEFAULT_TOKEN),
        telegram_api_url=telegram.base_url,
        gateway_mode="webhook",
        webhook_url=PUBLIC_URL,
        webhook_secret=SecretStr(SECRET),
        webhook_host="127.0.0.1",
        webhook_port=port,
    )
    async with source(config) as updates:
        await telegram.wait_for_async(lambda: telegram.webhook_url == ENDPOINT)
        yield updates, f"http://127.0.0.1:{port}/telegram/webhook"


async def test_an_update_is_answered_once_its_job_is_published(
    nc: Client, js: JetStreamContext, telegram: BotApiStandin, requested: Subscription, source: Any
) -> None:
    async with webhook_gateway(source, telegram) as (gateway, url):
        update = telegram.send_user_message(4242, "/image=flux=a cat")
        assert await post_update(url, update) == 200
        # Nothing awaited in between: by the time Telegram has its answer, the job is
        # in the stream and the user sees the status message.
        assert await published(js) == 1
        [status] = telegram.bot_visible_messages(4242)
        assert status.text == STATUS
        event = ImageRequested.model_validate_json((await requested.next_msg(timeout=5)).data)
        assert event.job_id == f"tg_4242_{update.message_id}"
        assert event.job.requester is not None
        assert event.job.requester.status_message_id == status.message_id
        assert await gateway.readiness() is None
    assert await gateway.readiness() == "not serving the webhook"
    # Stopping one replica leaves the webhook to the others.
    assert telegram.webhook_url == ENDPOINT
    assert telegram.calls["deleteWebhook"] == 0
    assert telegram.calls["setWebhook"] == 1


async def test_a_wrong_or_missing_secret_gets_401_and_changes_nothing(
    nc: Client, js: JetStreamContext, telegram: BotApiStandin, source: Any
) -> None:
    before = counter("easel_gateway_webhook_unauthorized_total")
    async with webhook_gateway(source, telegram) as (_, url):
        update = telegram.send_user_message(4242, "/image=flux=a cat")
        assert await post_update(url, update, secret="not-the-secret") == 401
        assert await post_update(url, update, secret=None) == 401
        assert await published(js) == 0
        assert telegram.bot_visible_messages(4242) == []
        with pytest.raises(NoKeysError):  # no claim was made
            await (await js.key_value(bus.JOB_CLAIMS_BUCKET)).keys()
        assert counter("easel_gateway_webhook_unauthorized_total") - before == 2
        # The same update with the secret goes through: the 401s were the secret's doing.
        assert await post_update(url, update) == 200
        assert await published(js) == 1


async def test_a_request_a_dead_replica_left_half_done_is_taken_over(
    nc: Client, js: JetStreamContext, telegram: BotApiStandin, requested: Subscription, source: Any
) -> None:
    """The replica died after showing the status and before publishing; Telegram, whose
    connection dropped, delivers the update again."""
    before = counter("easel_gateway_claim_takeovers_total")
    async with webhook_gateway(source, telegram) as (_, url):
        update = telegram.send_user_message(77, "/image a lighthouse")
        job = f"tg_77_{update.message_id}"
        bot = build_bot(
            Settings(telegram_bot_token=DEFAULT_TOKEN, telegram_api_url=telegram.base_url)
        )
        try:
            shown = await bot.send_message(77, STATUS)
        finally:
            await bot.session.close()
        kv = await js.key_value(bus.JOB_CLAIMS_BUCKET)
        await kv.create(
            job, claims.encode(claims.pending(time.time() - 60, "dead", shown.message_id))
        )

        assert await post_update(url, update) == 200
        event = ImageRequested.model_validate_json((await requested.next_msg(timeout=5)).data)
        assert event.job_id == job
        assert event.job.requester is not None
        assert event.job.requester.status_message_id == shown.message_id
        assert [m.message_id for m in telegram.bot_visible_messages(77)] == [shown.message_id]
        assert counter("easel_gateway_claim_takeovers_total") - before == 1
        # Settled now: one more delivery is a plain duplicate.
        assert await post_update(url, update) == 200
        assert await published(js) == 1
        assert len(telegram.bot_visible_messages(77)) == 1


async def test_a_taken_over_request_is_not_charged_to_the_rate_limit_again(
    nc: Client, js: JetStreamContext, telegram: BotApiStandin, requested: Subscription, source: Any
) -> None:
    """Found by `just chaos`: the replica took the user's last slot, then died waiting on
    Telegram for the status message; the redelivered update took over and was charged a
    second slot, so a user who sent 10 requests in a minute was told to slow down."""
    async with webhook_gateway(source, telegram) as (_, url):
        update = telegram.send_user_message(78, "/image a lighthouse")
        limiter = RateLimiter(await js.key_value(bus.RATE_LIMIT_BUCKET), limit=10, window=60)
        for _ in range(10):  # nine earlier requests, and the dead replica's slot for this one
            assert (await limiter.acquire("user_78")).allowed
        kv = await js.key_value(bus.JOB_CLAIMS_BUCKET)
        job = f"tg_78_{update.message_id}"
        await kv.create(job, claims.encode(claims.pending(time.time() - 60, "dead")))

        assert await post_update(url, update) == 200
        event = ImageRequested.model_validate_json((await requested.next_msg(timeout=5)).data)
        assert event.job_id == job
        assert [m.text for m in telegram.bot_visible_messages(78)] == [STATUS]
        window = await (await js.key_value(bus.RATE_LIMIT_BUCKET)).get(telegram_user(78))
        assert len(ratelimit.decode(window.value)) == 10  # charged once


# --- two gateway processes behind one webhook URL -------------------------------------------


def replica(
    tmp_path: Path, index: int, nats_server: NatsServer, telegram: BotApiStandin
) -> tuple[ServiceProcess, str]:
    port = free_port()
    env = child_env(
        NATS_URL=nats_server.url,
        TELEGRAM_BOT_TOKEN=DEFAULT_TOKEN,
        TELEGRAM_API_URL=telegram.base_url,
        FLUX_WORKER_URL="http://127.0.0.1:9/generate",
        GATEWAY_MODE="webhook",
        WEBHOOK_URL=PUBLIC_URL,
        WEBHOOK_SECRET=SECRET,
        WEBHOOK_HOST="127.0.0.1",
        WEBHOOK_PORT=str(port),
        API_PORT="0",  # two replicas on one host: the HTTP API has tests of its own
        LOG_FORMAT="json",
    )
    process = ServiceProcess("gateway", env, tmp_path / f"gateway-{index}.log", free_port())
    process.start()
    return process, f"http://127.0.0.1:{port}/telegram/webhook"


def outcomes(process: ServiceProcess) -> dict[str, float]:
    """easel_gateway_requests_total by outcome, from the process's /metrics."""
    for family in text_string_to_metric_families(process.metrics()):
        if family.name == "easel_gateway_requests":
            return {
                s.labels["outcome"]: s.value for s in family.samples if s.name.endswith("_total")
            }
    raise AssertionError("easel_gateway_requests_total not exported")


async def test_two_replicas_share_the_updates_and_make_one_job_per_update(
    tmp_path: Path, nats_server: NatsServer, js: JetStreamContext, telegram: BotApiStandin
) -> None:
    replicas = [replica(tmp_path, i, nats_server, telegram) for i in range(2)]
    try:
        await asyncio.gather(*(asyncio.to_thread(p.wait_ready) for p, _ in replicas))
        assert telegram.calls["setWebhook"] == 2  # each registers the same URL at start
        assert telegram.webhook_url == ENDPOINT
        # A load balancer spreads six updates over both; a seventh reaches both at once
        # (Telegram re-sent it while the first delivery was still being handled).
        updates = [telegram.send_user_message(500 + i, f"/image a cat {i}") for i in range(6)]
        twice = telegram.send_user_message(600, "/image a dog")
        answers = await asyncio.gather(
            *(post_update(replicas[i % 2][1], u) for i, u in enumerate(updates)),
            *(post_update(url, twice) for _, url in replicas),
        )
        assert answers == [200] * 8
        assert await published(js) == 7
        for chat in [*range(500, 506), 600]:
            assert [m.text for m in telegram.bot_visible_messages(chat)] == [STATUS]
        counts = [await asyncio.to_thread(outcomes, p) for p, _ in replicas]
        assert all(c["accepted"] >= 3 for c in counts)  # each replica served its share
        assert sum(c["accepted"] for c in counts) == 7
        assert sum(c["rejected_duplicate"] for c in counts) == 1

        # One replica stops (a rolling update); the webhook stays and the other serves.
        assert await asyncio.to_thread(replicas[0][0].terminate) == 0
        assert telegram.calls["deleteWebhook"] == 0
        assert telegram.webhook_url == ENDPOINT
        later = telegram.send_user_message(700, "/image a fox")
        assert await post_update(replicas[1][1], later) == 200
        assert await published(js) == 8
        for process, _ in replicas:
            assert SECRET not in process.log_path.read_text()
    finally:
        for process, _ in replicas:
            await asyncio.to_thread(process.terminate)
