"""Backends: the targets of the backends issue, on the self-hosted stand-ins (`forge` on the
A1111 stand-in, `comfy` on the ComfyUI one, `dalle` on OpenAI Images; `harness.selfhosted`).

- Progress: a few renders one at a time through Telegram, 8-10 s each. For every
  percentage the status message showed ("🖼️ Generating with Forge… 40%"): from the sampling
  step at which the backend first reported at least that much (each stand-in stamps its
  steps) to the Bot API stand-in accepting the edit. A1111 is asked once a second, ComfyUI
  tells it on its websocket; the generator publishes at most one report a second and the
  notifier paces a chat's edits, both part of the figure. 0 % is no change: not counted.
- Cancel: "✖ Cancel" pressed on the status message of a job its backend is rendering;
  from the press to the backend's interrupt arriving (both stand-ins stamp it).
- Adapter CPU: what each kind's own code costs a job besides waiting on I/O, in this
  process (thread CPU time over many iterations) on answers the stand-ins really gave for
  a ~1 MB PNG, beside the plain kind's verdict on the same PNG. The HTTP client's work
  (encoding the request, reading the body) is not in it. Then the generator process's CPU
  per job end to end (/proc), `forge` (a1111) against `flux` (get_query), the same image
  size, one job at a time.

The latencies are time.monotonic() differences in this process, where the stand-ins run.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import math
import re
import time
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp
import httpx

from easel.settings import ModelRegistry, ModelSpec, load_registry
from easel_devtools.bench import procs
from easel_devtools.bench.measures import status_messages
from easel_devtools.bench.plan import Plan
from easel_devtools.bench.report import Outcome, Row, ms
from easel_devtools.bench.rig import new_chat
from easel_devtools.bench.stats import percentile, summarise
from easel_devtools.harness import EaselSystem
from easel_devtools.harness.selfhosted import FORGE_PASSWORD, FORGE_USER, OPENAI_KEY, SelfHosted
from easel_devtools.standins import BotApiStandin, ChatMessage, png
from easel_generator import verdicts
from easel_generator.kinds import Render, Rendered, a1111, comfyui, openai_images

PROGRESS_TARGET = 1.5  # p50, seconds
CANCEL_TARGET = 0.200  # each press, seconds
CPU_TARGET = 0.005  # per job, seconds
RENDER_SECONDS = 8.0  # the first render watched for its progress: a few edits each
# Each next one a little longer: its steps fall elsewhere between the generator's polls and
# the notifier's edits (with one length, every job would show the same percentages).
RENDER_SPREAD = 0.35
CANCEL_RENDER_SECONDS = 8.0  # long enough that every press lands mid-render
IMAGE_BYTES = 1_000_000  # the PNG each backend answers in the CPU measurements
WARM_UP = 2  # jobs (or iterations) not counted: first connections, caches
WAIT = 60.0
PROMPT = "a lighthouse at dusk, golden hour, volumetric light"
_PERCENT = re.compile(r"Generating with .*?(\d+)\s*%")
_ISOLATES = str.maketrans("", "", "\u2066\u2067\u2068\u2069")  # Fluent's bidi isolation marks
_NAMES = {"forge": "Forge (a1111)", "comfy": "ComfyUI (comfyui)"}


async def run(plan: Plan) -> Outcome:
    async with _system() as system:
        hosted = system.self_hosted
        assert hosted is not None
        registry = load_registry(dict(system["generator"].env))
        samples = await _samples(hosted, registry)
        cpu = _adapter_cpu(registry, samples, plan.adapter_iterations)
        progress = {
            model: await _progress(system, hosted, model, plan.backends_jobs)
            for model in ("forge", "comfy")
        }
        cancels = {
            "forge": await _cancel_forge(system, hosted, plan.backends_cancels),
            "comfy": await _cancel_comfy(system, hosted, plan.backends_cancels),
        }
        generator = await _generator_cpu(system, hosted, plan.generator_cpu_jobs)
    return _outcome(plan, progress, cancels, cpu, generator)


@contextlib.asynccontextmanager
async def _system() -> AsyncIterator[EaselSystem]:
    """The four services, NATS and the stand-ins, the self-hosted backends among them."""
    system = EaselSystem(self_hosted=True)
    try:
        await asyncio.to_thread(system.start)
        yield system
    finally:
        await asyncio.to_thread(system.close)


# -- progress ------------------------------------------------------------------------------


@dataclass
class Progress:
    latencies: list[float]  # seconds, one per percentage shown
    shown: list[list[int]]  # per job, the percentages its status message showed
    gaps: list[float]  # seconds between a job's successive progress edits
    steps: int  # sampling steps per render


async def _progress(system: EaselSystem, hosted: SelfHosted, model: str, jobs: int) -> Progress:
    telegram = system.telegram
    found = Progress([], [], [], 0)
    for n in range(jobs):
        hosted.forge.service_time = hosted.comfy.service_time = _render_seconds(n)
        marker = f"backends progress {model} {n} end"
        chat = new_chat()
        telegram.send_user_message(chat, f"/image={model}={marker}")
        await telegram.wait_for_async(lambda: bool(telegram.photos(chat)), WAIT)  # noqa: B023
        if model == "forge":
            [job] = [j for j in hosted.forge.jobs if marker in j.prompt]
            steps, steps_at = job.steps, job.steps_at
        else:
            [record] = [r for r in hosted.comfy.prompts if marker in (r.positive or "")]
            steps, steps_at = record.steps or 0, record.steps_at
        found.steps = steps
        status = status_messages(telegram.messages(chat))[0]
        shown, edits = [], _percents(status)
        found.gaps += [later - earlier for (earlier, _), (later, _) in itertools.pairwise(edits)]
        for at, percent in edits:
            shown.append(percent)
            reached = _reached(percent, steps, steps_at)
            if percent > 0 and reached is not None:
                found.latencies.append(at - reached)
        found.shown.append(shown)
    return found


def _render_seconds(job: int) -> float:
    return RENDER_SECONDS + job * RENDER_SPREAD


def _percents(status: ChatMessage) -> list[tuple[float, int]]:
    """(when the edit was accepted, the percentage it showed), per progress edit."""
    return [
        (at, int(match[1]))
        for at, text in status.edits
        if (match := _PERCENT.search(text.translate(_ISOLATES)))
    ]


def _reached(percent: int, steps: int, steps_at: Sequence[float]) -> float | None:
    """When the backend first reported `percent` or more: the first step whose fraction,
    as the generator turns it into a percentage (`Render.report`), comes to that much."""
    for step, at in enumerate(steps_at, start=1):
        if int(step / steps * 100) >= percent:
            return at
    return None


# -- cancel --------------------------------------------------------------------------------


async def _cancel_forge(system: EaselSystem, hosted: SelfHosted, trials: int) -> list[float]:
    forge, telegram = hosted.forge, system.telegram
    forge.service_time = CANCEL_RENDER_SECONDS
    latencies = []
    for n in range(trials):
        marker = f"backends cancel forge {n} end"
        chat = new_chat()
        telegram.send_user_message(chat, f"/image=forge={marker}")

        def running(marker: str = marker) -> bool:
            return any(
                marker in j.prompt and j.started_at is not None and j.finished_at is None
                for j in forge.jobs
            )

        await forge.wait_for_async(running, WAIT)
        before = len(forge.interrupts)
        pressed_at = await _press_cancel(telegram, chat)
        await forge.wait_for_async(lambda: len(forge.interrupts) > before, 10)  # noqa: B023
        interrupt = forge.interrupts[before]
        [job] = [j for j in forge.jobs if marker in j.prompt]
        assert interrupt.task_id == job.task_id, (interrupt, job.task_id)
        latencies.append(interrupt.at - pressed_at)
        await forge.wait_for_async(lambda: not running(), WAIT)
    return latencies


async def _cancel_comfy(system: EaselSystem, hosted: SelfHosted, trials: int) -> list[float]:
    comfy, telegram = hosted.comfy, system.telegram
    comfy.service_time = CANCEL_RENDER_SECONDS
    latencies = []
    for n in range(trials):
        marker = f"backends cancel comfy {n} end"
        chat = new_chat()
        telegram.send_user_message(chat, f"/image=comfy={marker}")

        def status(marker: str = marker) -> str | None:
            for record in comfy.prompts:
                if marker in (record.positive or ""):
                    return str(record.status)
            return None

        await comfy.wait_for_async(lambda: status() == "running", WAIT)
        before = len(comfy.interrupts_at)
        pressed_at = await _press_cancel(telegram, chat)
        await comfy.wait_for_async(lambda: len(comfy.interrupts_at) > before, 10)  # noqa: B023
        prompt_id, stopped = comfy.interrupts[before]
        [record] = [r for r in comfy.prompts if marker in (r.positive or "")]
        assert (prompt_id, stopped) == (record.prompt_id, True), (prompt_id, stopped)
        latencies.append(comfy.interrupts_at[before] - pressed_at)
        await comfy.wait_for_async(lambda: status() not in ("pending", "running"), WAIT)
    return latencies


async def _press_cancel(telegram: BotApiStandin, chat: int) -> float:
    """Press the status message's "✖ Cancel" once it carries one; when it was pressed."""

    def button() -> tuple[int, str] | None:
        for message in status_messages(telegram.messages(chat)):
            for _, data in message.buttons:
                if data is not None and data.startswith("cancel:"):
                    return message.message_id, data
        return None

    await telegram.wait_for_async(lambda: button() is not None, WAIT)
    found = button()
    assert found is not None
    message_id, data = found
    pressed_at = time.monotonic()
    press = telegram.press_button(chat, message_id, data)
    await telegram.wait_for_async(
        lambda: bool(telegram.callback_answers(press.callback_query_id)), WAIT
    )
    return pressed_at


# -- adapter CPU ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Samples:
    """What the stand-ins answered one job, as each kind reads it."""

    a1111_answer: bytes  # txt2img's JSON: images[0] and info
    a1111_progress: bytes  # /internal/progress about a task mid-render
    openai_answer: bytes  # images/generations' JSON: data[0].b64_json
    comfy_messages: list[str]  # the websocket's text messages, from the greeting to the end
    comfy_history: bytes  # GET /history/{prompt_id}
    comfy_prompt_id: str
    image: bytes  # the PNG the plain kind (and ComfyUI's /view) answers


def _specs(registry: ModelRegistry) -> tuple[ModelSpec, ModelSpec, ModelSpec]:
    """The models on the A1111, ComfyUI and OpenAI Images stand-ins, as the generator reads them."""
    forge, comfy, dalle = (registry.get(name) for name in ("forge", "comfy", "dalle"))
    assert forge is not None
    assert comfy is not None
    assert dalle is not None
    return forge, comfy, dalle


async def _samples(hosted: SelfHosted, registry: ModelRegistry) -> Samples:
    forge, comfy, dalle = _specs(registry)
    hosted.forge.image_size = hosted.openai.image_size = IMAGE_BYTES
    hosted.forge.service_time, hosted.comfy.service_time = 1.0, 0.0
    try:
        async with httpx.AsyncClient(timeout=WAIT) as http:
            task = "task(easelbench0000000)"
            body = a1111.request_body(forge, Render(PROMPT, size=forge.size), task)
            auth = (FORGE_USER, FORGE_PASSWORD)
            rendering = asyncio.create_task(
                http.post(f"{forge.url}/sdapi/v1/txt2img", json=body, auth=auth)
            )
            await hosted.forge.wait_for_async(
                lambda: (
                    hosted.forge.current_task == task and hosted.forge.state["sampling_step"] > 0
                ),
                WAIT,
            )
            asked = {"id_task": task, "id_live_preview": -1, "live_preview": False}
            progress = await http.post(f"{forge.url}/internal/progress", json=asked, auth=auth)
            rendered = await rendering
            headers = {"Authorization": f"Bearer {OPENAI_KEY}"}
            body = openai_images.request_body(dalle, Render(PROMPT, size=dalle.size))
            drawn = await http.post(f"{dalle.url}/images/generations", json=body, headers=headers)
            messages, prompt_id = await _comfy_run(comfy.url, comfy.graph or {})
            history = await http.get(f"{comfy.url}/history/{prompt_id}")
    finally:
        hosted.forge.image_size = hosted.openai.image_size = None
    for answer in (rendered, progress, drawn, history):
        answer.raise_for_status()
    assert json.loads(progress.content)["active"] is True
    return Samples(
        a1111_answer=rendered.content,
        a1111_progress=progress.content,
        openai_answer=drawn.content,
        comfy_messages=messages,
        comfy_history=history.content,
        comfy_prompt_id=prompt_id,
        image=png(PROMPT, size=IMAGE_BYTES),
    )


async def _comfy_run(url: str, graph: dict[str, Any]) -> tuple[list[str], str]:
    """One prompt on the ComfyUI stand-in: its websocket's text messages, and its id."""
    client_id, prompt_id = uuid.uuid4().hex, str(uuid.uuid4())
    ws_url = url.replace("http", "ws", 1) + f"/ws?clientId={client_id}"
    messages: list[str] = []
    async with aiohttp.ClientSession() as session, session.ws_connect(ws_url) as ws:
        body = {"prompt": graph, "client_id": client_id, "prompt_id": prompt_id}
        async with session.post(f"{url}/prompt", json=body) as queued:
            queued.raise_for_status()
        async with asyncio.timeout(WAIT):
            async for message in ws:
                if message.type != aiohttp.WSMsgType.TEXT:
                    continue
                messages.append(message.data)
                if comfyui.on_message(json.loads(message.data), prompt_id) is not None:
                    break
    return messages, prompt_id


@dataclass(frozen=True)
class AdapterCpu:
    per_job: dict[str, float]  # seconds of CPU per job, by kind
    progress_poll: float  # seconds: one a1111 /internal/progress answer read and reported
    base64: float  # seconds: of a1111's, decoding images[0] alone
    probe: float  # procs.cpu_probe() just before: ≈0.10 s on a quiet host
    iterations: int
    comfy_messages: int
    a1111_answer_bytes: int
    openai_answer_bytes: int


def _adapter_cpu(registry: ModelRegistry, samples: Samples, iterations: int) -> AdapterCpu:
    forge, comfy, dalle = _specs(registry)
    # The kinds get the body as a view of the buffer `plain.read` filled, not as bytes.
    a1111_body = memoryview(samples.a1111_answer)
    openai_body = memoryview(samples.openai_answer)
    image = memoryview(samples.image)
    pid = samples.comfy_prompt_id
    encoded = json.loads(samples.a1111_answer)["images"][0]

    def plain_job() -> object:
        verdict = verdicts.classify_response(200, "image/png", None, image)
        assert isinstance(verdict, verdicts.Success)
        return Rendered(image, verdict.content_type)

    def a1111_job() -> object:
        a1111.request_body(forge, Render(PROMPT, size=forge.size), "task(easel0123456789abcdef)")
        answer = a1111.answer(200, None, a1111_body)
        assert isinstance(answer.verdict, verdicts.Success)
        return answer

    def poll() -> object:
        state = json.loads(samples.a1111_progress)  # what the kind reads of each answer
        done = state.get("progress") if state.get("active") is True else None
        assert isinstance(done, float)
        Render(PROMPT).report(done)
        return done

    def openai_job() -> object:
        openai_images.request_body(dalle, Render(PROMPT, size=dalle.size))
        answer = openai_images.answer(200, None, openai_body)
        assert isinstance(answer.verdict, verdicts.Success)
        return answer

    def comfy_job() -> object:
        render = Render(PROMPT, size=comfy.size)
        comfyui.graph_for(comfy, render, seed=156680208700286)
        for text in samples.comfy_messages:  # as `_ending` reads them
            parsed = json.loads(text)
            if (done := comfyui.progress_of(parsed, pid)) is not None:
                render.report(done)
            elif comfyui.on_message(parsed, pid) is not None:
                break
        found = comfyui.first_image(json.loads(samples.comfy_history), pid)
        assert found is not None
        return plain_job()  # /view answers the image's bytes, judged as the plain kind does

    probe = procs.cpu_probe()
    return AdapterCpu(
        per_job={
            "get_query": _cpu_per_call(plain_job, iterations),
            "a1111": _cpu_per_call(a1111_job, iterations),
            "openai_images": _cpu_per_call(openai_job, iterations),
            "comfyui": _cpu_per_call(comfy_job, iterations),
        },
        progress_poll=_cpu_per_call(poll, iterations),
        base64=_cpu_per_call(lambda: base64.b64decode(encoded, validate=True), iterations),
        probe=probe,
        iterations=iterations,
        comfy_messages=len(samples.comfy_messages),
        a1111_answer_bytes=len(samples.a1111_answer),
        openai_answer_bytes=len(samples.openai_answer),
    )


def _cpu_per_call(call: Callable[[], object], iterations: int) -> float:
    """CPU seconds per call, of this thread alone: the stand-ins' threads share the process."""
    for _ in range(WARM_UP):
        call()
    began = time.thread_time()
    for _ in range(iterations):
        call()
    return (time.thread_time() - began) / iterations


async def _generator_cpu(system: EaselSystem, hosted: SelfHosted, jobs: int) -> dict[str, float]:
    """The generator process's CPU per job, seconds, by model: instant renders of an
    IMAGE_BYTES PNG, one job at a time through Telegram."""
    pid = system["generator"].pid
    assert pid is not None
    telegram = system.telegram
    hosted.forge.service_time = 0.0
    hosted.forge.image_size = system.flux.image_size = IMAGE_BYTES
    per_job, began = {}, 0.0
    try:
        for model in ("flux", "forge"):
            for n in range(WARM_UP + jobs):
                if n == WARM_UP:
                    began = procs.cpu_seconds(pid)
                chat = new_chat()
                telegram.send_user_message(chat, f"/image={model}=backends cpu {model} {n} end")
                await telegram.wait_for_async(lambda: bool(telegram.photos(chat)), WAIT)  # noqa: B023
            per_job[model] = (procs.cpu_seconds(pid) - began) / jobs
    finally:
        hosted.forge.image_size = system.flux.image_size = None
    return per_job


# -- the report ----------------------------------------------------------------------------


def _outcome(
    plan: Plan,
    progress: dict[str, Progress],
    cancels: dict[str, list[float]],
    cpu: AdapterCpu,
    generator: dict[str, float],
) -> Outcome:
    rows = []
    for model, found in progress.items():
        values = found.latencies
        p50, p90 = percentile(values, 50), percentile(values, 90)
        how = "asked once a second" if model == "forge" else "its websocket"
        rows.append(
            Row(
                f"progress: backend step → status edit p50/p90/max, s ({_NAMES[model]}, "
                f"{len(values)} shown, {plan.backends_jobs} jobs)",
                f"{p50:.2f} / {p90:.2f} / {max(values, default=math.nan):.2f}",
                f"{RENDER_SECONDS:.1f}-{_render_seconds(plan.backends_jobs - 1):.1f} s renders, "
                f"{found.steps} steps, {how}",
                f"p50 ≤ {PROGRESS_TARGET} s",
                p50 <= PROGRESS_TARGET,
            )
        )
    routes = {
        "forge": "/internal/progress, then /sdapi/v1/interrupt",
        "comfy": "GET /queue, then POST /interrupt {prompt_id}",
    }
    for model, values in cancels.items():
        figures = summarise(values)
        rows.append(
            Row(
                f"cancel of a running job: press → backend interrupt p50/max, ms "
                f"({_NAMES[model]}, {len(values)} presses)",
                f"{ms(figures.p50)} / {ms(figures.max)}",
                routes[model],
                f"each ≤ {CANCEL_TARGET * 1000:.0f} ms",
                figures.max <= CANCEL_TARGET,
            )
        )
    plain = cpu.per_job["get_query"]
    what = {
        "a1111": "request_body + answer()",
        "openai_images": "request_body + answer()",
        "comfyui": f"graph_for, {cpu.comfy_messages} ws messages, first_image, the image",
    }
    for kind, text in what.items():
        rows.append(
            Row(
                f"adapter CPU per job, ms ({kind}: {text})",
                f"{cpu.per_job[kind] * 1000:.2f}",
                f"plain kind, same 1 MB PNG: {plain * 1000:.2f}",
                f"≤ {CPU_TARGET * 1000:.0f} ms",
                cpu.per_job[kind] <= CPU_TARGET,
            )
        )
    rows.append(
        Row(
            f"  generator CPU per job end to end, ms ({plan.generator_cpu_jobs} jobs each, "
            "1 MB images)",
            f"forge (a1111) {generator['forge'] * 1000:.1f}",
            f"flux (get_query) {generator['flux'] * 1000:.1f}",
        )
    )
    gaps = [gap for found in progress.values() for gap in found.gaps]
    notes = [
        "progress: per percentage shown, from the backend's step that first reached it to "
        "the accepted edit; the shown percentages per job: "
        + "; ".join(f"{_NAMES[m]} {found.shown}" for m, found in progress.items())
        + f"; a job's progress edits came {min(gaps, default=math.nan):.1f}-"
        f"{max(gaps, default=math.nan):.1f} s apart (the notifier's pacing of a chat's calls)",
        f"adapter CPU: this thread's CPU over {cpu.iterations} iterations each, on the "
        f"stand-ins' own answers ({cpu.a1111_answer_bytes / 1e6:.2f} MB from A1111, "
        f"{cpu.openai_answer_bytes / 1e6:.2f} MB from OpenAI Images); not in it: the HTTP "
        "client's own work (sending, reading and for ComfyUI the websocket's framing); an "
        f"A1111 render adds one progress answer read a second, {cpu.progress_poll * 1e6:.0f} "
        f"µs each; of a1111's figure, {cpu.base64 * 1000:.2f} ms is base64-decoding images[0] "
        f"(openai_images decodes as much); CPU probe just before: {cpu.probe:.2f} s (≈0.10 s "
        "on a quiet host: the figures scale with it)",
        "generator CPU: /proc of the generator process over the jobs (10 ms ticks), all of "
        "its work for them: NATS, events, the HTTP client, the kind",
    ]
    data: dict[str, Any] = {
        "progress": {
            m: {"latencies": f.latencies, "shown": f.shown, "gaps": f.gaps, "steps": f.steps}
            for m, f in progress.items()
        },
        "cancel": {m: summarise(v) for m, v in cancels.items()},
        "cancel_latencies": cancels,
        "adapter_cpu": cpu,
        "generator_cpu_per_job": generator,
    }
    return Outcome("backends", rows, data, notes)
