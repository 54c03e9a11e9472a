"""Polling mode allows exactly one poller (Telegram answers a second getUpdates with 409
Conflict): the polling lease (`easel.runtime.Lease`) picks it, and a standby takes over
when it goes.
An update is confirmed only once handled, so a poller killed mid-update loses nothing."""

from __future__ import annotations

import asyncio
import contextlib
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import nats
import pytest
from nats.aio.client import Client
from nats.aio.subscription import Subscription
from nats.js import JetStreamContext
from nats.js.api import KeyValueConfig
from nats.js.errors import KeyNotFoundError
from nats.js.kv import KeyValue

from easel import bus
from easel.events import ImageRequested
from easel.natsserver import NatsServer, free_port
from easel_devtools.harness import ServiceProcess
from easel_devtools.harness.process import child_env
from easel_devtools.standins import DEFAULT_TOKEN, BotApiStandin

STATUS = "🎨 Enhancing prompt…"
TERM = 3.0  # the lease bucket's TTL in these tests (15 s in production)
LEASE_KEY = f"polling_{DEFAULT_TOKEN.split(':')[0]}"  # one lease per bot


async def lease_bucket(js: JetStreamContext) -> KeyValue:
    """Made before the gateways provision it: they keep it, and take its 3 s TTL as the
    lease's term."""
    return await js.create_key_value(KeyValueConfig(bucket=bus.LEASE_BUCKET, ttl=TERM, history=1))


# --- two gateway processes in polling mode ----------------------------------------------------


@pytest.fixture
def telegram() -> Iterator[BotApiStandin]:
    with BotApiStandin(flood_limits=False) as standin:
        yield standin
    assert standin.internal_errors == []


def gateway_process(
    tmp_path: Path, name: str, nats_server: NatsServer, telegram: BotApiStandin, **extra: str
) -> ServiceProcess:
    env = child_env(
        NATS_URL=nats_server.url,
        TELEGRAM_BOT_TOKEN=DEFAULT_TOKEN,
        TELEGRAM_API_URL=telegram.base_url,
        FLUX_WORKER_URL="http://127.0.0.1:9/generate",
        API_PORT="0",  # two replicas on one host: the HTTP API has tests of its own
        LOG_FORMAT="json",
        **extra,
    )
    process = ServiceProcess("gateway", env, tmp_path / f"gateway-{name}.log", free_port())
    process.start()
    return process


def readyz(process: ServiceProcess) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"{process.ops_url}/readyz", timeout=2) as answer:  # noqa: S310
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return 0, "not listening yet"


async def wait_standing_by(process: ServiceProcess, within: float = 30.0) -> None:
    """A child process signals nothing but its probe: poll it, as Kubernetes does."""
    deadline = time.monotonic() + within
    while (answer := await asyncio.to_thread(readyz, process)) != (
        503,
        "not ready: another gateway is polling\n",
    ):
        assert process.alive(), process.tail()
        assert time.monotonic() < deadline, f"{answer}\n{process.tail()}"
        await asyncio.sleep(0.1)


async def served(telegram: BotApiStandin, requested: Subscription, chat: int) -> None:
    """A new message gets its status message and its job published, and once handled it
    is confirmed to Telegram."""
    update = telegram.send_user_message(chat, "/image a cat")
    event = ImageRequested.model_validate_json((await requested.next_msg(timeout=15)).data)
    assert event.job_id == f"tg_{chat}_{update.message_id}"
    assert [m.text for m in telegram.bot_visible_messages(chat)] == [STATUS]
    await telegram.wait_for_async(lambda: telegram.pending_update_count == 0)


async def test_exactly_one_of_two_gateways_polls_and_the_other_takes_over(
    tmp_path: Path,
    nats_server: NatsServer,
    telegram: BotApiStandin,
    js: JetStreamContext,
    nc: Client,
) -> None:
    # Created before the gateways provision: they keep an existing bucket and take the
    # lease term from its TTL, so this test waits 3 s for an expiry instead of 15.
    kv = await lease_bucket(js)
    requested = await nc.subscribe("image.requested.>")
    started: list[ServiceProcess] = []

    def gateway(name: str) -> ServiceProcess:
        started.append(gateway_process(tmp_path, name, nats_server, telegram))
        return started[-1]

    try:
        first = gateway("first")
        await asyncio.to_thread(first.wait_ready)
        second = gateway("second")
        await wait_standing_by(second)
        await served(telegram, requested, 101)

        # kill -9: no release, so the standby waits out the term, then polls.
        first.kill()
        killed = time.monotonic()
        await asyncio.to_thread(second.wait_ready, TERM + 10)
        assert time.monotonic() - killed <= TERM + TERM / 3 + 3  # term, a retry, slack
        await served(telegram, requested, 102)

        # A rolling restart: the old pod gets SIGTERM while the new one stands by; the old
        # one hands the lease on as it stops, so the new one need not wait out the term.
        third = gateway("third")
        await wait_standing_by(third)
        held_by_second = (await kv.get(LEASE_KEY)).value
        assert await asyncio.to_thread(second.terminate) == 0
        with contextlib.suppress(KeyNotFoundError):  # released; or taken already
            assert (await kv.get(LEASE_KEY)).value != held_by_second
        await asyncio.to_thread(third.wait_ready)
        await served(telegram, requested, 103)

        assert telegram.responses[("getUpdates", 409)] == 0  # never two pollers at once
        assert telegram.responses[("getUpdates", 200)] >= 3
    finally:
        for process in started:
            await asyncio.to_thread(process.terminate)


async def test_a_poller_killed_while_handling_an_update_leaves_it_to_its_successor(
    tmp_path: Path,
    nats_server: NatsServer,
    telegram: BotApiStandin,
    js: JetStreamContext,
    nc: Client,
) -> None:
    await lease_bucket(js)
    requested = await nc.subscribe("image.requested.>")
    stale = {"CLAIM_STALE_SECONDS": "2"}  # the dead poller's claim is taken over after 2 s
    first = gateway_process(tmp_path, "first", nats_server, telegram, **stale)
    second: ServiceProcess | None = None
    try:
        await asyncio.to_thread(first.wait_ready)
        with telegram.hold("sendMessage"):  # the handler stalls on its status message
            update = telegram.send_user_message(104, "/image a cat")
            await telegram.wait_for_async(lambda: telegram.calls["sendMessage"] == 1)
            polls = telegram.calls["getUpdates"]
            # aiogram's own loop would confirm the update with this next poll.
            await telegram.wait_for_async(lambda: telegram.calls["getUpdates"] > polls + 1)
            assert telegram.pending_update_count == 1
            first.kill()
        second = gateway_process(tmp_path, "second", nats_server, telegram, **stale)
        event = ImageRequested.model_validate_json((await requested.next_msg(timeout=30)).data)
        assert event.job_id == f"tg_104_{update.message_id}"
        await telegram.wait_for_async(lambda: telegram.pending_update_count == 0)
        assert [m.text for m in telegram.bot_visible_messages(104)] == [STATUS]
        with pytest.raises(nats.errors.TimeoutError):
            await requested.next_msg(timeout=1)  # one job, however often it was delivered
    finally:
        first.kill()
        if second is not None:
            await asyncio.to_thread(second.terminate)
