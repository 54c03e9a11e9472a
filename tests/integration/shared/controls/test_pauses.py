"""A paused model's consumer hands out nothing, keeps its jobs in order, and stays paused
through a re-provisioning (a generator restart)."""

from __future__ import annotations

import nats.errors
import pytest
from nats.js import JetStreamContext

from easel import bus
from easel.controls import ModelPauses
from easel.events import PromptEnhanced
from easel.settings import EaselSettings
from easel_devtools.testing import REGISTRY, enhanced


@pytest.fixture
async def pauses(js: JetStreamContext) -> ModelPauses:
    await bus.provision(js, EaselSettings(), REGISTRY)
    return ModelPauses(js, await js.key_value(bus.CONTROLS_BUCKET))


async def test_a_paused_model_hands_out_nothing_then_everything_in_order(
    js: JetStreamContext, pauses: ModelPauses
) -> None:
    pause = await pauses.pause("flux", "  new GPU  ", "cli")
    assert pause.reason == "new GPU"
    assert await pauses.of("flux") == pause
    assert await pauses.of("sdxl") is None
    assert await pauses.consumer_paused("flux")
    for n in range(3):
        await bus.publish(js, enhanced(f"tg_1_{n}"))
    await bus.provision(js, EaselSettings(), REGISTRY)  # as a restarting generator does
    assert await pauses.consumer_paused("flux")

    generator = await js.pull_subscribe_bind(
        durable=bus.generator_consumer("flux"), stream=bus.PROMPTS
    )
    with pytest.raises(nats.errors.TimeoutError):
        await generator.fetch(1, timeout=1)
    assert await pauses.resume("flux")
    assert await pauses.of("flux") is None
    order = []
    for _ in range(3):
        [msg] = await generator.fetch(1, timeout=5)
        order.append(PromptEnhanced.model_validate_json(msg.data).job_id)
        await msg.ack()
    assert order == ["tg_1_0", "tg_1_1", "tg_1_2"]
    assert not await pauses.resume("flux")  # not paused any more
