"""A job whose processing keeps failing reaches max_deliver: the user hears it failed and the
message is dead-lettered, whether the handler raised (the loop sees its last delivery) or its
process died (the server's advisory)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import ObjectStoreConfig

from easel import bus
from easel.events import ErrorCode, ImageFailed, ImageRequested, ImageStarted, PromptEnhanced
from easel.settings import EaselSettings
from easel_devtools.standins import FluxWorkerStandin
from easel_devtools.testing import (
    REGISTRY,
    Letters,
    Results,
    dead_letters,
    enhanced,
    models,
    requested,
    settled,
)
from easel_generator.__main__ import serve as serve_generator
from easel_generator.settings import Settings as GeneratorSettings

FLUX = bus.generator_consumer("flux")


async def test_a_handler_that_always_raises_is_given_up_after_max_deliver(
    nc: Client, js: JetStreamContext
) -> None:
    await bus.provision(js, EaselSettings(max_deliver=3), REGISTRY)
    letters = await Letters.watch(nc)
    attempts: list[int] = []
    given_up: list[tuple[str, int]] = []
    good = asyncio.Event()

    async def handle(event: ImageRequested, delivery: bus.Delivery) -> bus.Outcome:
        if event.job_id == "tg_1_good":
            good.set()
            return bus.ACK
        attempts.append(delivery.attempt)
        raise RuntimeError("this job always breaks its handler")

    async def give_up(event: ImageRequested, delivery: bus.Delivery) -> None:
        given_up.append((event.job_id, delivery.attempt))

    loop = bus.ConsumerLoop(
        js,
        stream=bus.REQUESTS,
        durable=bus.ENHANCER,
        decode=bus.decoder(ImageRequested).validate_json,
        handler=handle,
        workers=1,
        heartbeat=1.0,
        fetch_timeout=1.0,
        give_up=give_up,
    )
    before = dead_letters(bus.ENHANCER, "max_deliveries")
    stop = asyncio.Event()
    async with bus.max_deliveries_watch(js, loop):
        task = asyncio.create_task(loop.run(stop, grace=5))
        bad = await bus.publish(js, requested("tg_1_bad"))
        await letters.wait_count(1, within=20)  # backoff 1 s + 2 s between the deliveries
        await bus.publish(js, requested("tg_1_good"))
        await asyncio.wait_for(good.wait(), 10)
        stop.set()
        await asyncio.wait_for(task, 10)
    assert attempts == [1, 2, 3]
    assert given_up == [("tg_1_bad", 3)]  # once: a term on the last delivery sends no advisory
    [letter] = letters.seen
    h = bus.DlqHeader
    assert letter.headers[h.REASON] == "max_deliveries"
    assert letter.headers[h.DELIVERIES] == "3"
    assert letter.headers[h.SEQUENCE] == str(bad.seq)
    assert ImageRequested.model_validate_json(letter.data).job_id == "tg_1_bad"
    assert dead_letters(bus.ENHANCER, "max_deliveries") == before + 1
    info = await settled(js, bus.REQUESTS, bus.ENHANCER)
    assert info.num_pending == 0


def survivor(js: JetStreamContext, give_up: bus.GiveUp[PromptEnhanced]) -> bus.ConsumerLoop[Any]:
    """A replica of the flux consumer whose loop does not run: only its watch does."""

    async def never_called(event: PromptEnhanced, delivery: bus.Delivery) -> bus.Outcome:
        raise AssertionError("the surviving replica's loop does not run in these tests")

    return bus.ConsumerLoop(
        js,
        stream=bus.PROMPTS,
        durable=FLUX,
        decode=bus.decoder(PromptEnhanced).validate_json,
        handler=never_called,
        workers=1,
        heartbeat=1.0,
        give_up=give_up,
    )


@contextlib.asynccontextmanager
async def dying_on_every_delivery(js: JetStreamContext, job_id: str) -> AsyncIterator[int]:
    """Something kills the process each time it takes this job (think of an OOM): no handler
    ever settles it, so only the server knows when max_deliver (2 here) is reached. Yields
    the job's stream sequence once it has been taken twice."""
    await bus.provision(js, EaselSettings(max_deliver=2, generator_ack_wait_seconds=1), REGISTRY)
    dying = await js.pull_subscribe_bind(durable=FLUX, stream=bus.PROMPTS)
    bad = await bus.publish(js, enhanced(job_id))
    for attempt in (1, 2):  # taken, never settled; back after ack_wait
        [msg] = await dying.fetch(1, timeout=5)
        assert msg.metadata.num_delivered == attempt
    # A live replica always has a pull request waiting; the server checks then.
    waiting = asyncio.create_task(dying.fetch(1, timeout=10))
    try:
        yield bad.seq
    finally:
        waiting.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await waiting


def assert_given_up(letters: Letters, job_id: str, seq: int) -> None:
    [letter] = letters.seen
    h = bus.DlqHeader
    assert (letter.headers[h.REASON], letter.headers[h.DELIVERIES]) == ("max_deliveries", "2")
    assert (letter.headers[h.CONSUMER], letter.headers[h.SEQUENCE]) == (FLUX, str(seq))
    assert PromptEnhanced.model_validate_json(letter.data).job_id == job_id


async def test_a_process_dying_on_every_delivery_is_given_up_through_the_advisory(
    nc: Client, js: JetStreamContext
) -> None:
    letters = await Letters.watch(nc)
    given_up: list[tuple[str, int]] = []

    async def give_up(event: PromptEnhanced, delivery: bus.Delivery) -> None:
        given_up.append((event.job_id, delivery.attempt))

    async with (
        dying_on_every_delivery(js, "tg_2_bad") as seq,
        bus.max_deliveries_watch(js, survivor(js, give_up)),
    ):
        await letters.wait_count(1, within=10)
    assert given_up == [("tg_2_bad", 2)]
    assert_given_up(letters, "tg_2_bad", seq)
    await settled(js, bus.ADVISORIES, bus.advisory_consumer(FLUX))  # the advisory is done


async def test_an_advisory_sent_while_no_replica_listens_waits_for_one(
    nc: Client, js: JetStreamContext
) -> None:
    """Every replica is gone when the server gives the job up: the advisory is stored, and
    the first replica to come back tells the user."""
    letters = await Letters.watch(nc)
    advisories = await nc.subscribe(bus.advisory_subject(bus.PROMPTS, FLUX))
    given_up: list[tuple[str, int]] = []

    async def give_up(event: PromptEnhanced, delivery: bus.Delivery) -> None:
        given_up.append((event.job_id, delivery.attempt))

    async with dying_on_every_delivery(js, "tg_4_bad") as seq:
        await advisories.next_msg(timeout=10)
    assert letters.seen == []  # sent, and no service heard it
    async with bus.max_deliveries_watch(js, survivor(js, give_up)):
        await letters.wait_count(1, within=10)
    assert given_up == [("tg_4_bad", 2)]
    assert_given_up(letters, "tg_4_bad", seq)


async def test_an_advisory_comes_back_until_the_user_has_been_told(
    nc: Client, js: JetStreamContext
) -> None:
    letters = await Letters.watch(nc)
    tries: list[str] = []

    async def give_up(event: PromptEnhanced, delivery: bus.Delivery) -> None:
        tries.append(event.job_id)
        if len(tries) == 1:
            raise ConnectionError("the result could not be published this time")

    async with (
        dying_on_every_delivery(js, "tg_5_bad") as seq,
        bus.max_deliveries_watch(js, survivor(js, give_up)),
    ):
        await letters.wait_count(1, within=15)  # after the nak's 1 s backoff
    assert tries == ["tg_5_bad", "tg_5_bad"]
    assert_given_up(letters, "tg_5_bad", seq)  # one letter, written once the user was told
    info = await settled(js, bus.ADVISORIES, bus.advisory_consumer(FLUX))
    assert info.delivered.consumer_seq == 2  # the same advisory, delivered again


async def test_the_generator_tells_the_user_when_it_gives_up(
    nc: Client, js: JetStreamContext, service: Any
) -> None:
    """Every delivery renders the image, then fails to store it: the job is given up as
    `internal` after max_deliver, and the user hears so."""
    settings = GeneratorSettings(generator_retry_base_seconds=0.05, max_deliver=2)
    # A bucket too small for any image: every put fails (the service keeps an existing one).
    await js.create_object_store(bus.IMAGES_BUCKET, config=ObjectStoreConfig(max_bytes=64))
    async with FluxWorkerStandin() as flux:
        results = await Results.watch(nc)
        letters = await Letters.watch(nc)
        async with service(serve_generator, settings, models(flux.url)):
            await bus.publish(js, enhanced("tg_3_bad"))
            await results.wait_for(lambda: bool(results.of(ImageFailed)), within=20)
            await letters.wait_count(1)
    [failed] = results.of(ImageFailed)
    assert (failed.job_id, failed.error_code) == ("tg_3_bad", ErrorCode.INTERNAL)
    assert failed.detail == "processing failed on all 2 deliveries"
    assert [e.attempt for e in results.of(ImageStarted)] == [1, 2]
    assert flux.hits == 2
    assert letters.reasons() == ["max_deliveries"]
