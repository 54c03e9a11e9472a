"""Poison on every subject family, through the consume loop with the services' own decoders:
each message is terminated and dead-lettered with its reason, and nothing stalls."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

import nats.errors
import pytest
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.errors import BadRequestError

from easel import bus
from easel.events import (
    Event,
    ImageFailed,
    ImageGenerated,
    ImageRequested,
    ImageStarted,
    PromptEnhanced,
)
from easel.settings import EaselSettings
from easel_devtools.testing import (
    EVENT_OF_FAMILY,
    REGISTRY,
    Letters,
    dead_letters,
    enhanced,
    requested,
    settled,
)

FLUX = bus.generator_consumer("flux")
# (stream, durable, decoder, families it consumes): as the three services wire them.
CONSUMERS: list[tuple[str, str, Any, tuple[str, ...]]] = [
    (bus.REQUESTS, bus.ENHANCER, bus.decoder(ImageRequested), ("image.requested",)),
    (bus.PROMPTS, FLUX, bus.decoder(PromptEnhanced), ("prompt.enhanced",)),
    (
        bus.RESULTS,
        bus.NOTIFIER,
        bus.decoder(ImageStarted, ImageGenerated, ImageFailed),
        ("image.started", "image.generated", "image.failed"),
    ),
]
FAMILIES = [family for *_, families in CONSUMERS for family in families]
CONSUMER_OF = {family: durable for _, durable, _, families in CONSUMERS for family in families}


def as_dict(event: Event, **changes: Any) -> bytes:
    return json.dumps(event.model_dump(mode="json") | changes).encode()


def poison(family: str, n: int) -> list[tuple[str, bytes]]:
    """(expected reason, body) of each kind of poison for one family's `.flux` subject."""
    good = EVENT_OF_FAMILY[family](f"tg_9_{n}", "flux")
    other_type = enhanced("tg_x") if family == "image.requested" else requested("tg_x")
    other_model = EVENT_OF_FAMILY[family](f"tg_9_{n}", "sdxl")
    huge_job = good.job.model_dump(mode="json") | {"original_prompt": "x" * 60_000}
    return [
        ("undecodable", b"{not json"),
        ("undecodable", b"\xff\xfe binary"),
        ("unsupported_version", as_dict(good, schema_version=5)),
        ("unknown_event_type", as_dict(other_type)),
        ("unknown_event_type", as_dict(good, event_type=f"{family}.v2")),
        ("invalid", as_dict(good, job=huge_job)),  # under the stream's limit, over the field's
        ("wrong_subject", as_dict(other_model)),
    ]


async def run_loops(
    js: JetStreamContext, handle: Callable[[Event, bus.Delivery], Awaitable[bus.Outcome]]
) -> tuple[asyncio.Event, list[asyncio.Task[None]]]:
    stop = asyncio.Event()
    tasks = []
    for stream, durable, decoder, _ in CONSUMERS:
        loop: bus.ConsumerLoop[Any] = bus.ConsumerLoop(
            js,
            stream=stream,
            durable=durable,
            decode=decoder.validate_json,
            handler=handle,
            workers=2,
            heartbeat=1.0,
            fetch_timeout=1.0,
        )
        tasks.append(asyncio.create_task(loop.run(stop, grace=5)))
    return stop, tasks


async def test_poison_on_every_family_is_terminated_and_dead_lettered(
    nc: Client, js: JetStreamContext
) -> None:
    await bus.provision(js, EaselSettings(), REGISTRY)
    letters = await Letters.watch(nc)
    before = {(c, r): dead_letters(c, r) for c in CONSUMER_OF.values() for r in bus.Reason}
    published: dict[tuple[str, int], tuple[str, bytes]] = {}  # (stream, seq) -> (reason, body)
    for n, family in enumerate(FAMILIES):
        for reason, data in poison(family, n):
            ack = await js.publish(f"{family}.flux", data)
            published[(ack.stream, ack.seq)] = (reason, data)
    handled: list[str] = []
    done = asyncio.Event()

    async def handle(event: Event, delivery: bus.Delivery) -> bus.Outcome:
        handled.append(event.subject)
        if len(handled) == len(FAMILIES):
            done.set()
        return bus.ACK

    stop, tasks = await run_loops(js, handle)
    try:
        # Good events published after all the poison still get through: nothing stalled.
        for n, family in enumerate(FAMILIES):
            await bus.publish(js, EVENT_OF_FAMILY[family](f"tg_8_{n}", "flux"))
        await asyncio.wait_for(done.wait(), 20)
        await letters.wait_count(len(published))
    finally:
        stop.set()
        await asyncio.wait_for(asyncio.gather(*tasks), 20)  # the loops ended cleanly

    assert sorted(handled) == sorted(f"{family}.flux" for family in FAMILIES)
    h = bus.DlqHeader
    stored: dict[tuple[str, int], str] = {}
    for letter in letters.seen:
        key = (letter.headers[h.STREAM], int(letter.headers[h.SEQUENCE]))
        reason, data = published[key]
        family = letter.headers[h.SUBJECT].removesuffix(".flux")
        assert letter.subject == f"dlq.{CONSUMER_OF[family]}"
        assert letter.headers[h.CONSUMER] == CONSUMER_OF[family]
        assert letter.headers[h.DELIVERIES] == "1"  # terminated at once, never retried
        assert letter.data == data  # the original body, byte for byte
        assert h.TIME in letter.headers
        stored[key] = letter.headers[h.REASON]
    assert stored == {key: reason for key, (reason, _) in published.items()}
    for stream, durable, *_ in CONSUMERS:
        info = await settled(js, stream, durable)
        assert info.num_pending == 0
    assert (await js.stream_info(bus.DLQ)).state.messages == len(published)
    consumer_of_stream = {stream: durable for stream, durable, *_ in CONSUMERS}
    expected = Counter(
        (consumer_of_stream[stream], reason) for (stream, _), (reason, _) in published.items()
    )
    counted = {key: dead_letters(*key) - value for key, value in before.items()}
    assert {key: n for key, n in counted.items() if n} == dict(expected)


async def test_oversized_payloads_never_enter_a_stream(js: JetStreamContext) -> None:
    await bus.provision(js, EaselSettings(), REGISTRY)
    for family in FAMILIES:
        with pytest.raises(BadRequestError) as refused:
            await js.publish(f"{family}.flux", b"x" * 70_000)
        assert refused.value.err_code == 10054  # message size exceeds maximum allowed
        with pytest.raises(nats.errors.MaxPayloadError):
            await js.publish(f"{family}.flux", b"x" * (2 << 20))
    for stream in (bus.REQUESTS, bus.PROMPTS, bus.RESULTS, bus.DLQ):
        assert (await js.stream_info(stream)).state.messages == 0
