"""Poison on every subject family, unknown models included, into the four real services:
none crashes or stalls, each poison ends in the DLQ, and a user's job still goes through."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from pathlib import Path

import nats
import pytest

from easel import bus
from easel.events import Event
from easel_devtools.harness import EaselSystem
from easel_devtools.testing import Letters, enhanced, failed, generated, requested, started

pytestmark = pytest.mark.e2e


def with_(event: Event, **changes: object) -> bytes:
    return json.dumps(event.model_dump(mode="json") | changes).encode()


# (subject, body, consumer that dead-letters it, reason); None: not poison, just handled.
POISON: list[tuple[str, bytes, str | None, str | None]] = [
    ("image.requested.flux", b"{not json", "enhancer", "undecodable"),
    (
        "image.requested.flux",
        with_(requested("tg_1_1"), schema_version=5),
        "enhancer",
        "unsupported_version",
    ),
    (
        "image.requested.midjourney",
        with_(requested("tg_1_2", "midjourney")),
        "enhancer",
        "unknown_model",
    ),
    ("prompt.enhanced.flux", b"\x00\x01", "generator-flux", "undecodable"),
    ("prompt.enhanced.flux", with_(requested("tg_1_3")), "generator-flux", "unknown_event_type"),
    (
        "prompt.enhanced.midjourney",
        with_(enhanced("tg_1_4", "midjourney", age=700)),
        "unrouted",
        "unknown_model",
    ),
    ("image.started.flux", b"[]", "notifier", "undecodable"),
    (
        "image.generated.flux",
        with_(generated("tg_1_5"), schema_version=5),
        "notifier",
        "unsupported_version",
    ),
    (
        "image.failed.flux",
        with_(failed("tg_1_6"), event_type="image.exploded"),
        "notifier",
        "unknown_event_type",
    ),
    ("image.started.sdxl", with_(started("tg_1_7", "flux")), "notifier", "wrong_subject"),
    # A result for a model the notifier does not know is still reported: the job exists.
    ("image.failed.midjourney", with_(failed("tg_1_8", "midjourney")), None, None),
]
EXPECTED = sorted((c, r) for _, _, c, r in POISON if c and r)


@pytest.fixture
def system(tmp_path: Path) -> Iterator[EaselSystem]:
    easel = EaselSystem(tmp_path).start()
    try:
        yield easel
    finally:
        easel.stop()


async def publish_poison(url: str) -> list[tuple[str, str]]:
    nc = await nats.connect(url)
    try:
        letters = await Letters.watch(nc)
        js = nc.jetstream()
        for subject, data, _, _ in POISON:
            await js.publish(subject, data)
        await letters.wait_count(len(EXPECTED), within=30)  # the sweep runs every 5 s
        h = bus.DlqHeader
        return sorted((s.headers[h.CONSUMER], s.headers[h.REASON]) for s in letters.seen)
    finally:
        await nc.close()


async def consumers_settle(url: str, within: float = 15.0) -> list[tuple[str, int, int]]:
    """(durable, pending, unacked) of each consumer, once all are idle or `within` is up.
    The server offers no event for "idle", so this re-reads its state."""
    nc = await nats.connect(url)
    js = nc.jetstream()
    consumers = (
        (bus.REQUESTS, bus.ENHANCER),
        (bus.PROMPTS, bus.generator_consumer("flux")),
        (bus.RESULTS, bus.NOTIFIER),
    )
    try:
        async with asyncio.timeout(within):
            while True:
                states = []
                for stream, durable in consumers:
                    info = await js.consumer_info(stream, durable)
                    states.append((durable, info.num_pending, info.num_ack_pending or 0))
                if all(pending == unacked == 0 for _, pending, unacked in states):
                    break
                await asyncio.sleep(0.05)
    except TimeoutError:
        pass  # the assertion shows what was left
    await nc.close()
    return states


def test_poison_everywhere_and_the_pipeline_still_delivers(system: EaselSystem) -> None:
    assert asyncio.run(publish_poison(system.nats.url)) == EXPECTED
    chat = 5001
    system.telegram.send_user_message(chat, "/image=flux=after the poison")
    system.telegram.wait_for(lambda: len(system.telegram.photos(chat)) == 1, timeout=30)
    assert all(service.alive() for service in system.services.values())
    assert asyncio.run(consumers_settle(system.nats.url)) == [
        ("enhancer", 0, 0),
        ("generator-flux", 0, 0),
        ("notifier", 0, 0),
    ]
    counted = re.findall(
        r'easel_dead_letters_total\{consumer="generator-flux",reason="(\w+)"\} 1\.0',
        system["generator"].metrics(),
    )
    assert sorted(counted) == ["undecodable", "unknown_event_type"]
