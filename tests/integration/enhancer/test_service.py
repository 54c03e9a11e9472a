"""The enhancer's serve() against a real nats-server and the LLM stand-in."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Any

import pytest
import structlog
from nats.aio.client import Client
from nats.aio.subscription import Subscription
from nats.js import JetStreamContext
from prometheus_client import REGISTRY as METRICS
from pydantic import SecretStr

from easel import bus
from easel.events import ImageFailed, ImageRequested, JobContext, PromptEnhanced
from easel_devtools.standins import DEFAULT_LLM_KEY, LlmStandin, enhance
from easel_devtools.standins.llm import Mode
from easel_devtools.testing import settled
from easel_enhancer.settings import Settings

ORIGINAL = "a red fox in the snow"


def settings(llm: LlmStandin | None, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "llm_base_url": llm.url if llm else None,
        "llm_api_key": SecretStr(DEFAULT_LLM_KEY) if llm else None,
        "llm_model": "standin-model",
        "llm_timeout_seconds": 5.0,
        "enhancer_concurrency": 2,
    }
    return Settings(**(values | overrides))


def requested(job_id: str, model: str = "flux", prompt: str = ORIGINAL) -> ImageRequested:
    job = JobContext(original_prompt=prompt, requested_at=datetime.now(UTC))
    return ImageRequested(job_id=job_id, model=model, job=job)


async def outputs(nc: Client) -> Subscription:
    return await nc.subscribe("prompt.enhanced.>")


async def next_prompt(sub: Subscription, within: float = 10.0) -> PromptEnhanced:
    msg = await sub.next_msg(timeout=within)
    return PromptEnhanced.model_validate_json(msg.data)


def counter(name: str, **labels: str) -> float:
    return METRICS.get_sample_value(name, labels) or 0.0


async def test_enhanced_prompt_is_cleaned_and_published(
    nc: Client, js: JetStreamContext, enhancer: Any
) -> None:
    before = counter("easel_enhancer_enhancements_total", outcome="enhanced")
    async with LlmStandin() as llm, enhancer(settings(llm)):
        sub = await outputs(nc)
        event = requested("tg_1_1")
        await bus.publish(js, event)
        out = await next_prompt(sub)
    assert llm.hits == 1
    assert enhance(ORIGINAL).startswith("Here is an enhanced prompt:")  # the stand-in is chatty
    assert out.prompt == f"{ORIGINAL}, golden hour light, highly detailed, 35mm photograph"
    assert out.enhanced is True
    assert out.fallback_reason is None
    assert (out.job_id, out.model, out.job) == (event.job_id, event.model, event.job)
    assert out.subject == "prompt.enhanced.flux"
    request = llm.requests[0]
    assert request.auth_present
    assert request.body["model"] == "standin-model"
    assert request.body["temperature"] == 0.7
    assert request.body["max_tokens"] == 150
    assert [m["role"] for m in request.body["messages"]] == ["system", "user"]
    assert request.body["messages"][1]["content"] == ORIGINAL
    assert counter("easel_enhancer_enhancements_total", outcome="enhanced") == before + 1


async def test_fenced_answer_is_cleaned(nc: Client, js: JetStreamContext, enhancer: Any) -> None:
    async with LlmStandin(mode="fenced") as llm, enhancer(settings(llm)):
        sub = await outputs(nc)
        await bus.publish(js, requested("tg_1_2"))
        out = await next_prompt(sub)
    assert out.enhanced is True
    assert out.prompt.startswith(ORIGINAL + ", golden hour")
    assert "`" not in out.prompt
    assert '"' not in out.prompt


@pytest.mark.parametrize(
    ("mode", "reason"),
    [("down", "http_500"), ("rate_limited", "http_429"), ("empty", "unusable_answer")],
)
async def test_llm_trouble_falls_back_to_the_original(
    nc: Client, js: JetStreamContext, mode: Mode, reason: str, enhancer: Any
) -> None:
    before = counter("easel_enhancer_fallbacks_total", reason=reason)
    async with LlmStandin(mode=mode) as llm, enhancer(settings(llm)):
        sub = await outputs(nc)
        with structlog.testing.capture_logs() as logs:
            await bus.publish(js, requested("tg_1_3"))
            out = await next_prompt(sub)
    assert (out.prompt, out.enhanced, out.fallback_reason) == (ORIGINAL, False, reason)
    assert counter("easel_enhancer_fallbacks_total", reason=reason) == before + 1
    fallback = [entry for entry in logs if entry["event"] == "enhancer.fallback"]
    assert [entry["reason"] for entry in fallback] == [reason]
    assert DEFAULT_LLM_KEY not in repr(logs)


async def test_slow_llm_times_out_and_falls_back(
    nc: Client, js: JetStreamContext, enhancer: Any
) -> None:
    async with LlmStandin(mode="slow", slow_seconds=30) as llm:
        config = settings(llm, llm_timeout_seconds=0.5)
        async with enhancer(config):
            sub = await outputs(nc)
            began = time.monotonic()
            await bus.publish(js, requested("tg_1_4"))
            out = await next_prompt(sub)
            waited = time.monotonic() - began
    assert (out.prompt, out.enhanced, out.fallback_reason) == (ORIGINAL, False, "timeout")
    assert waited < 5  # gave up after the timeout, not after the LLM's 30 s


async def test_unreachable_llm_is_a_network_fallback(
    nc: Client, js: JetStreamContext, enhancer: Any
) -> None:
    llm = LlmStandin()
    await asyncio.to_thread(llm.start)
    await asyncio.to_thread(llm.stop)  # its port is now closed
    async with enhancer(settings(llm)):
        sub = await outputs(nc)
        await bus.publish(js, requested("tg_1_5"))
        out = await next_prompt(sub)
    assert (out.prompt, out.enhanced, out.fallback_reason) == (ORIGINAL, False, "network")


async def test_without_llm_base_url_it_is_not_configured(
    nc: Client, js: JetStreamContext, enhancer: Any
) -> None:
    async with LlmStandin() as llm, enhancer(settings(None)):
        sub = await outputs(nc)
        await bus.publish(js, requested("tg_1_6"))
        out = await next_prompt(sub)
    assert (out.prompt, out.enhanced, out.fallback_reason) == (ORIGINAL, False, "not_configured")
    assert llm.hits == 0


async def test_malformed_message_is_terminated_and_the_queue_moves_on(
    nc: Client, js: JetStreamContext, enhancer: Any
) -> None:
    async with enhancer(settings(None)):
        sub = await outputs(nc)
        await js.publish("image.requested.flux", b'{"job_id": "tg_1_7", "oops": true}')
        await js.publish("image.requested.flux", b"\xff\xfe not json")
        await bus.publish(js, requested("tg_1_8"))
        out = await next_prompt(sub)
        assert out.job_id == "tg_1_8"
        info = await settled(js, bus.REQUESTS, bus.ENHANCER, 3)
    assert info.num_pending == 0
    assert info.num_ack_pending == 0  # nothing left waiting for a redelivery


async def test_unknown_model_fails_the_job_instead_of_queueing_it(
    nc: Client, js: JetStreamContext, enhancer: Any
) -> None:
    async with enhancer(settings(None)):
        sub = await nc.subscribe("image.failed.>")
        await bus.publish(js, requested("tg_1_9", model="kandinsky"))
        msg = await sub.next_msg(timeout=10)
    failed = ImageFailed.model_validate_json(msg.data)
    assert (failed.job_id, failed.model, failed.error_code) == (
        "tg_1_9",
        "kandinsky",
        "unknown_model",
    )
    assert (await js.stream_info(bus.PROMPTS)).state.messages == 0
