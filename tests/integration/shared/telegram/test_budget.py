"""The bot's budget, shared by replicas through a real nats-server: together they never pass
it, deliveries keep a quarter for themselves, a chat gets its burst, and a lost budget
stops nothing."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable

import nats
import pytest
import structlog
from nats.aio.client import Client
from nats.js import JetStreamContext

from easel import bus
from easel.natsserver import NatsServer
from easel.settings import EaselSettings
from easel.telegram import Budget, Lane, Taken
from easel_devtools.testing import REGISTRY

BOT = 987654321


@pytest.fixture
async def clients(nats_server: NatsServer) -> AsyncIterator[list[Client]]:
    """Three connections: three replicas' worth."""
    connections = [await nats.connect(nats_server.url) for _ in range(3)]
    yield connections
    for connection in connections:
        await connection.close()


@pytest.fixture
async def provisioned(js: JetStreamContext) -> None:
    await bus.provision(js, EaselSettings(), REGISTRY)


def replicas(
    clients: list[Client], calls: int, clock: Callable[[], float] = time.time
) -> list[Budget]:
    return [Budget(nc, BOT, calls, clock=clock) for nc in clients]


async def blocked(take: asyncio.Task[Taken], seconds: float = 0.6, *, cancel: bool = True) -> bool:
    """True if the take is still waiting after `seconds` (then cancelled, unless not to)."""
    try:
        async with asyncio.timeout(seconds):
            await asyncio.shield(take)
    except TimeoutError:
        if cancel:
            take.cancel()
        return True
    return False


@pytest.mark.usefixtures("provisioned")
async def test_replicas_together_never_pass_the_bot_budget(clients: list[Client]) -> None:
    budgets = replicas(clients, 10)
    sent: list[float] = []

    async def call(budget: Budget) -> None:
        taken = await budget.take(None, Lane.DELIVERY)
        sent.append(time.monotonic())
        taken.give_back(counted=True)

    async with asyncio.timeout(30):
        await asyncio.gather(*(call(budgets[n % 3]) for n in range(40)))
    sent.sort()
    busiest = max(sum(1 for t in sent[i:] if t < at + 1.0) for i, at in enumerate(sent))
    assert len(sent) == 40
    assert busiest <= 10


@pytest.mark.usefixtures("provisioned")
async def test_deliveries_come_first_replies_next_status_edits_last(clients: list[Client]) -> None:
    first, second, third = replicas(clients, 8)
    for budget in (first, second, first, second, first, second):  # 6 = 8 - 8 // 4
        await budget.take(None, Lane.STATUS)
    assert await blocked(asyncio.create_task(third.take(None, Lane.STATUS)))
    await third.take(None, Lane.REPLY)  # no delivery waits: a reply may use it all
    await first.take(None, Lane.DELIVERY)
    assert await blocked(asyncio.create_task(second.take(None, Lane.DELIVERY)))


@pytest.mark.usefixtures("provisioned")
async def test_a_reply_leaves_the_last_quarter_to_a_waiting_delivery(
    clients: list[Client],
) -> None:
    # One frozen moment: the waiting delivery's mark does not age meanwhile.
    moment = 60 * (int(time.time()) // 60 + 20) + 30.05
    first, second, third = replicas(clients, 8, clock=lambda: moment)
    for _ in range(7):
        await first.take(None, Lane.REPLY)
    held = await second.take(None, Lane.DELIVERY)
    assert await blocked(asyncio.create_task(third.take(None, Lane.DELIVERY)))  # it waited
    held.give_back(counted=False)  # room for one, and a delivery waited for it
    assert await blocked(asyncio.create_task(first.take(None, Lane.REPLY)))
    await asyncio.wait_for(second.take(None, Lane.DELIVERY), 5)


@pytest.mark.usefixtures("provisioned")
async def test_a_chat_gets_its_burst_across_replicas_then_waits(clients: list[Client]) -> None:
    first, second, third = replicas(clients, 30)
    await first.take(42, Lane.STATUS)
    await second.take(42, Lane.STATUS)
    # A status edit leaves the chat's last call of the burst to the photo behind it.
    assert await blocked(asyncio.create_task(third.take(42, Lane.STATUS, chat_calls=2)))
    await third.take(42, Lane.DELIVERY)
    assert await blocked(asyncio.create_task(first.take(42, Lane.DELIVERY)))
    await first.take(43, Lane.DELIVERY)  # another chat is not held up


@pytest.mark.usefixtures("provisioned")
async def test_a_call_telegram_did_not_count_frees_its_place_at_once(
    clients: list[Client],
) -> None:
    first, second, _ = replicas(clients, 4)
    held = [await first.take(None, Lane.DELIVERY) for _ in range(4)]
    waiting = asyncio.create_task(second.take(None, Lane.DELIVERY))
    assert await blocked(waiting, 0.3, cancel=False)
    held[0].give_back(counted=False)  # a 429: Telegram did not count it
    async with asyncio.timeout(0.9):  # well before the counted calls leave the window
        await waiting


@pytest.mark.usefixtures("provisioned")
async def test_the_previous_minutes_calls_still_count(clients: list[Client]) -> None:
    minute = 60 * (int(time.time()) // 60 + 10)
    [late] = replicas(clients[:1], 3, clock=lambda: minute - 0.2)
    [early] = replicas(clients[1:2], 3, clock=lambda: minute + 0.3)
    [later] = replicas(clients[2:], 3, clock=lambda: minute + 2.5)
    for _ in range(3):
        await late.take(None, Lane.DELIVERY)
    assert await blocked(asyncio.create_task(early.take(None, Lane.DELIVERY)))
    await later.take(None, Lane.DELIVERY)  # past the window: the new minute alone counts


async def test_without_the_budget_calls_go_on_their_own_pacing(nc: Client) -> None:
    budget = Budget(nc, BOT, 1)  # nothing provisioned: no stream answers
    with structlog.testing.capture_logs() as logs:
        async with asyncio.timeout(5):
            for _ in range(3):
                (await budget.take(7, Lane.STATUS)).give_back(counted=True)
    assert [e["event"] for e in logs] == ["telegram.budget_unavailable"]
