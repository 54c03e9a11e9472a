"""End to end: Telegram update in (Bot API stand-in) → four service processes → photo out."""

from __future__ import annotations

import asyncio
import hashlib
import itertools

import nats
import pytest

from easel import bus
from easel.jobs import JobRecord, JobState
from easel_devtools.harness import BOT_TOKEN, LLM_KEY, SDXL_KEY, EaselSystem
from easel_devtools.standins import Behaviour

pytestmark = pytest.mark.e2e
_chats = itertools.count(1000)


def new_chat() -> int:
    return next(_chats)


def deliver_and_wait(system: EaselSystem, chat: int, text: str, timeout: float = 30.0) -> bytes:
    """Send a command as a user and wait for the one photo; returns its bytes."""
    system.telegram.send_user_message(chat, text)
    system.telegram.wait_for(lambda: len(system.telegram.photos(chat)) == 1, timeout=timeout)
    photo, _caption = system.telegram.photos(chat)[0]
    return photo


def status_texts(system: EaselSystem, chat: int) -> list[str]:
    """Every text the status message showed, in order (its first text and each edit)."""
    bot_messages = [m for m in system.telegram.messages(chat) if m.from_bot and m.photo is None]
    assert bot_messages, "the gateway never sent a status message"
    return bot_messages[0].texts


@pytest.mark.parametrize(("model", "display"), [("flux", "FLUX"), ("sdxl", "SDXL")])
def test_happy_path_delivers_the_workers_image(
    system: EaselSystem, model: str, display: str
) -> None:
    chat = new_chat()
    worker = system.flux if model == "flux" else system.sdxl
    # A render that takes a moment, as real ones do: "Generating…" is shown, not replaced
    # at once by the photo (a pending edit is dropped when its message is finished).
    worker.script([Behaviour(delay=1.0)])
    photo = deliver_and_wait(system, chat, f"/image={model}=a cat on a windowsill")
    job = next(j for j in worker.jobs if "a cat on a windowsill" in j.prompt)
    assert hashlib.sha256(photo).hexdigest() == job.sha256  # the worker's bytes, untouched
    _, caption = system.telegram.photos(chat)[0]
    assert caption.startswith(f"🎨 Image generated with {display}\n\n✨ Enhanced prompt:\n")
    assert "golden hour" in caption  # the LLM stand-in's enhancement, cleaned of its preamble
    assert "Here is" not in caption
    system.telegram.wait_for(
        lambda: not system.telegram.bot_visible_messages(chat)[:-1], timeout=10
    )
    visible = system.telegram.bot_visible_messages(chat)
    assert [m.photo is not None for m in visible] == [True]  # the status message was deleted
    texts = status_texts(system, chat)
    assert texts[0] == "🎨 Enhancing prompt…"
    assert f"🖼️ Generating with {display}…" in texts


def test_llm_down_uses_the_original_prompt(system: EaselSystem) -> None:
    chat = new_chat()
    system.llm.mode = "down"
    try:
        deliver_and_wait(system, chat, "/image=flux=a red bicycle in the rain")
    finally:
        system.llm.mode = "normal"
    _, caption = system.telegram.photos(chat)[0]
    # Sent as typed, and said so: no claim of an enhancement the LLM did not make.
    assert caption.endswith("\n\n✏️ Prompt:\na red bicycle in the rain")
    assert "a red bicycle in the rain" in system.flux.prompts


def test_sdxl_auth_failure_is_reported_once_and_not_retried(system: EaselSystem) -> None:
    chat = new_chat()
    hits_before = system.sdxl.hits
    system.sdxl.script([Behaviour(status=401)])
    system.telegram.send_user_message(chat, "/image=sdxl=a lighthouse")
    system.telegram.wait_for(
        lambda: any("credentials" in t for t in _safe_status_texts(system, chat)), timeout=30
    )
    assert system.sdxl.hits == hits_before + 1
    final = status_texts(system, chat)[-1]
    assert "http" not in final.lower()
    assert SDXL_KEY not in final
    assert system.telegram.photos(chat) == []


def test_flux_retries_through_two_503s(system: EaselSystem) -> None:
    chat = new_chat()
    hits_before = system.flux.hits
    system.flux.script([503, 503, 200])
    deliver_and_wait(system, chat, "/image=flux=three retries")
    assert system.flux.hits == hits_before + 3


def test_eleventh_request_in_a_minute_is_rate_limited(system: EaselSystem) -> None:
    chat = new_chat()
    for n in range(11):
        system.telegram.send_user_message(chat, f"/image=flux=request number {n}")
    system.telegram.wait_for(
        lambda: any("Slow down" in (m.text or "") for m in system.telegram.messages(chat)),
        timeout=30,
    )
    system.telegram.wait_for(lambda: len(system.telegram.photos(chat)) == 10, timeout=60)
    assert len(system.telegram.photos(chat)) == 10


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/image=midjourney=a cat", "flux"),  # unknown model: the answer lists what exists
        ("/image=flux=   ", "empty"),
        ("/image=flux=" + "x" * 1001, "1,000"),
        ("/image=flux=\x00\x01\x02", "empty"),  # nothing left once control characters go
    ],
)
def test_bad_input_gets_a_clear_message_and_publishes_nothing(
    system: EaselSystem, text: str, expected: str
) -> None:
    chat = new_chat()
    before = system.stream_messages(bus.REQUESTS)
    system.telegram.send_user_message(chat, text)
    system.telegram.wait_for(
        lambda: len(system.telegram.bot_visible_messages(chat)) == 1, timeout=15
    )
    answer = system.telegram.bot_visible_messages(chat)[0].text or ""
    assert expected in answer.lower()
    assert system.stream_messages(bus.REQUESTS) == before


def test_generator_killed_mid_job_still_delivers_exactly_once(system: EaselSystem) -> None:
    chat = new_chat()
    system.flux.script([Behaviour(delay=3.0)])
    system.telegram.send_user_message(chat, "/image=flux=survive a crash")
    system.flux.wait_for(
        lambda: any("survive a crash" in j.prompt for j in system.flux.jobs), timeout=30
    )
    system["generator"].kill()
    system["generator"].start()
    system["generator"].wait_ready()
    system.telegram.wait_for(lambda: len(system.telegram.photos(chat)) == 1, timeout=60)
    assert sum("survive a crash" in p for p in system.flux.prompts) == 2  # redelivered once
    system.telegram.wait_for(
        lambda: not system.telegram.bot_visible_messages(chat)[:-1], timeout=10
    )
    assert len(system.telegram.photos(chat)) == 1


def test_generator_sigterm_mid_job_finishes_it_and_exits_cleanly(system: EaselSystem) -> None:
    chat = new_chat()
    system.flux.script([Behaviour(delay=2.0)])
    system.telegram.send_user_message(chat, "/image=flux=a graceful stop")
    system.flux.wait_for(lambda: any("graceful stop" in p for p in system.flux.prompts), timeout=30)
    assert system["generator"].terminate(timeout=40) == 0  # within the pod's grace period
    system["generator"].start()
    system["generator"].wait_ready()
    system.telegram.wait_for(lambda: len(system.telegram.photos(chat)) == 1, timeout=60)
    # Finished during the grace period, so never handed to the next process.
    assert sum("graceful stop" in p for p in system.flux.prompts) == 1


def test_burst_of_40_from_20_chats_under_flood_limits(system: EaselSystem) -> None:
    chats = [new_chat() for _ in range(20)]
    system.telegram.set_flood_limits(True)
    try:
        for chat in chats:
            for n in range(2):
                system.telegram.send_user_message(chat, f"/image=flux=burst {chat} {n}")
        system.telegram.wait_for(
            lambda: all(len(system.telegram.photos(c)) >= 2 for c in chats), timeout=120
        )
    finally:
        system.telegram.set_flood_limits(False)
    assert all(len(system.telegram.photos(c)) == 2 for c in chats)  # once each, none twice


def test_no_secret_reaches_any_log(system: EaselSystem) -> None:
    logs = system.logs()
    assert "job_id" in logs  # the logs are there and about jobs
    for secret in (BOT_TOKEN, SDXL_KEY, LLM_KEY, BOT_TOKEN.split(":")[1]):
        assert secret not in logs


def _safe_status_texts(system: EaselSystem, chat: int) -> list[str]:
    try:
        return status_texts(system, chat)
    except AssertionError:
        return []


def test_the_job_view_tells_the_whole_story(system: EaselSystem) -> None:
    """The gateway's projector folds every event of a delivered job into its record."""
    chat = new_chat()
    update = system.telegram.send_user_message(chat, "/image=flux=a heron at dawn")
    system.telegram.wait_for(lambda: len(system.telegram.photos(chat)) == 1, timeout=30)
    [sent] = [m for m in system.telegram.messages(chat) if m.photo]
    record = asyncio.run(_record_once(system.nats.url, f"tg_{chat}_{update.message_id}"))
    assert record.state is JobState.DELIVERED
    assert record.file_id == sent.photo_file_id
    assert record.owner.key == f"telegram_{chat}"
    assert list(record.stages) == [
        JobState.QUEUED,
        JobState.ENHANCING,
        JobState.WAITING,
        JobState.GENERATING,
        JobState.SENDING,
        JobState.DELIVERED,
    ]
    assert (record.enhanced, record.attempts) == (True, 1)


async def _record_once(url: str, job_id: str, within: float = 15.0) -> JobRecord:
    """The job's record once it has ended, watched (no polling)."""
    nc = await nats.connect(url)
    try:
        kv = await nc.jetstream().key_value(bus.JOBS_BUCKET)
        watcher = await kv.watch(f"job.{job_id}")
        try:
            async with asyncio.timeout(within):
                async for entry in watcher:
                    if entry is None or not entry.value:
                        continue
                    record = JobRecord.model_validate_json(entry.value)
                    if record.state.ended:
                        return record
        finally:
            await watcher.stop()
    finally:
        await nc.close()
    raise AssertionError(f"{job_id} did not end in the job view")
