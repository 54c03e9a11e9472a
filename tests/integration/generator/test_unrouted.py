"""Jobs on `prompt.enhanced.<model>` for a model no generator serves are not left in the
stream forever: past their deadline they fail as unknown_model and are dead-lettered."""

from __future__ import annotations

from typing import Any

from nats.aio.client import Client
from nats.js import JetStreamContext

from easel import bus
from easel.events import ErrorCode, ImageFailed
from easel_devtools.standins import FluxWorkerStandin
from easel_devtools.testing import Letters, Results, enhanced, models
from easel_generator.settings import Settings as GeneratorSettings
from easel_generator.unrouted import UNROUTED


async def test_unserved_jobs_fail_past_their_deadline_and_poison_at_once(
    nc: Client, js: JetStreamContext, generator: Any
) -> None:
    settings = GeneratorSettings(job_deadline_seconds=60)
    async with FluxWorkerStandin() as flux:
        registry = models(flux.url)
        await bus.provision(js, settings, registry)
        # Already waiting when the generator starts: its first sweep finds them.
        old = await bus.publish(js, enhanced("tg_1_old", model="kandinsky", age=61))
        await bus.publish(js, enhanced("tg_1_new", model="kandinsky", age=30))
        garbage = await js.publish("prompt.enhanced.midjourney", b"\x00 not an event")
        results = await Results.watch(nc)
        letters = await Letters.watch(nc)
        async with generator(registry, settings):
            await letters.wait_count(2)
            await results.wait_count(1)
    [failed] = results.of(ImageFailed)
    assert (failed.job_id, failed.model, failed.error_code) == (
        "tg_1_old",
        "kandinsky",
        ErrorCode.UNKNOWN_MODEL,
    )
    h = bus.DlqHeader
    by_seq = {int(s.headers[h.SEQUENCE]): s for s in letters.seen}
    assert set(by_seq) == {old.seq, garbage.seq}
    assert by_seq[old.seq].headers[h.REASON] == "unknown_model"
    assert by_seq[garbage.seq].headers[h.REASON] == "undecodable"
    assert by_seq[garbage.seq].data == b"\x00 not an event"
    assert {s.subject for s in letters.seen} == {f"dlq.{UNROUTED}"}
    # Dead-lettered jobs leave the stream; the one still within its deadline stays.
    stream = await js.stream_info(bus.PROMPTS, subjects_filter="prompt.enhanced.*")
    assert stream.state.subjects == {"prompt.enhanced.kandinsky": 1}
    assert flux.hits == 0
