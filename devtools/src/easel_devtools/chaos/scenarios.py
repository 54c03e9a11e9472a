"""The two chaos scenarios against the real system (four service processes, nats-server,
stand-ins), each ending once every user has their ending and every consumer is idle.

- `run_kills`: users send, and some cancel, while the supervisor SIGKILLs services and
  NATS; the job view is then held against what each user saw. With `polling`, the gateway
  fetches the updates with getUpdates, and is the one killed, again and again.
- `run_faults`: users send while the workers fail (5xx, hangs past the generator's read
  timeout, 200 with an HTML page); no kills, so every attempt is the retry policy's.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from easel.jobs import JobRecord, JobState
from easel_devtools.chaos import busview
from easel_devtools.chaos.backends import (
    ATTEMPTS,
    GeneratorLog,
    Tried,
    expected_endings,
    hits_by_tag,
)
from easel_devtools.chaos.outcomes import Press, Seen, Sent, Vocabulary, all_ended, judge
from easel_devtools.chaos.plan import Env, Faults, Kills, Traffic, schedule
from easel_devtools.chaos.supervisor import Chaos, Ledger, Supervisor
from easel_devtools.chaos.users import Users
from easel_devtools.harness import EaselSystem

DISPLAY_NAMES = ("FLUX", "SDXL")
# Worker render times: enough to build a queue, short enough for a run of a minute or two.
SERVICE_SECONDS = {"flux": 0.12, "sdxl": 0.08}


@dataclass
class Run:
    """What every run records."""

    name: str
    seed: int
    traffic: Traffic
    seen: list[Seen] = field(default_factory=list)
    posts: int = 0
    refused_posts: int = 0
    retry_after: int = 0  # 429s the Bot API stand-in answered (flood control)
    letters: Counter[str] = field(default_factory=Counter)
    busy_after: dict[str, int] = field(default_factory=dict)  # consumers not idle at the end
    sent_seconds: float = 0.0  # until the last update was answered 200
    ended_seconds: float = 0.0  # until the last user had their ending
    capacity_violations: int = 0
    presses: list[Press] = field(default_factory=list)  # the users' cancels
    press_answers: Counter[str] = field(default_factory=Counter)  # what the pressers read

    def verdicts(self) -> Counter[str]:
        return Counter(s.verdict for s in self.seen)

    def final_kinds(self) -> Counter[str]:
        return Counter(kind for s in self.seen for kind in s.finals)


@dataclass
class KillsRun(Run):
    chaos: Chaos = field(default_factory=Chaos)
    ledger: Ledger = field(default_factory=Ledger)
    # Cancelled before any backend had it (the view never saw it generating): their tags,
    # and those of them a worker was asked for all the same.
    cancelled_waiting: list[str] = field(default_factory=list)
    backend_calls_when_cancelled_waiting: list[str] = field(default_factory=list)
    view_disagrees: list[tuple[str, str, str]] = field(default_factory=list)
    # (tag, what the user saw, the view's state)
    two_endings: list[str] = field(default_factory=list)  # tags the view has ended twice


@dataclass
class FaultsRun(Run):
    faults: Faults = field(default_factory=Faults)
    tried: list[Tried] = field(default_factory=list)
    wrong_ending: list[tuple[str, str, tuple[str, ...]]] = field(default_factory=list)
    # (tag, what the user saw, the worker's answers)
    late: list[tuple[str, float]] = field(default_factory=list)  # (tag, seconds) past the bound
    circuit_opened: Counter[str] = field(default_factory=Counter)  # model → times
    bound_seconds: float = 0.0


# A killed poller's successor waits out the lease's term; 3 s instead of 15 s lets a run
# have many kills in a burst (the takeover path is the same).
POLLING_LEASE_SECONDS = 3.0


async def run_kills(
    traffic: Traffic,
    kills: Kills,
    seed: int,
    *,
    settle: float,
    workdir: Path | None = None,
    polling: bool = False,
    cluster: bool = False,
) -> KillsRun:
    """`cluster`: on three nats-server nodes at 3 replicas; a NATS kill takes a leader."""
    rng = random.Random(seed)
    requests = schedule(traffic, rng)
    env = Env(polling=polling)
    run = KillsRun("polling" if polling else "cluster" if cluster else "kills", seed, traffic)
    lease = POLLING_LEASE_SECONDS if polling else None
    async with _System(env, workdir, lease, cluster) as system:
        supervisor = Supervisor(system, kills, rng)
        users = Users(system.telegram, env.webhook_url, patience=settle)
        began = time.monotonic()
        sent, _ = await asyncio.gather(users.run(requests), supervisor.run())
        run.presses = users.presses
        await _settle(run, system, sent, began, settle)
        supervisor.final_read()
        run.chaos, run.ledger = supervisor.chaos, supervisor.ledger
        run.posts, run.refused_posts = users.posts, users.refused
        hits = hits_by_tag([*system.flux.jobs, *system.sdxl.jobs])
        jobs = {_job_id(seen.sent): seen for seen in run.seen}
        views = await busview.job_records(system.nats.url, jobs)
    _judge_view(run, jobs, views, hits)
    return run


def _job_id(sent: Sent) -> str:
    return f"tg_{sent.request.chat}_{sent.message_id}"


# The view's state for what the user saw; None: no job (it was never queued).
_VIEW_OF = {"photo": JobState.DELIVERED, "cancelled": JobState.CANCELLED}


def _judge_view(
    run: KillsRun,
    jobs: dict[str, Seen],
    views: dict[str, JobRecord | None],
    hits: dict[str, list[str]],
) -> None:
    for job_id, seen in jobs.items():
        tag, record = seen.sent.request.tag, views.get(job_id)
        if seen.verdict in ("lost", "duplicated"):
            continue  # counted as such
        if seen.verdict == "error":
            expected = None if seen.finals[0] == "queue_failed" else JobState.FAILED
        else:
            expected = _VIEW_OF.get(seen.verdict)
        state = record.state if record else None
        if record and sum(stage.ended for stage in record.stages) > 1:
            run.two_endings.append(tag)
        if state is not expected:
            run.view_disagrees.append((tag, seen.verdict, str(state)))
        if record and state is JobState.CANCELLED and JobState.GENERATING not in record.stages:
            run.cancelled_waiting.append(tag)
            if hits.get(tag):
                run.backend_calls_when_cancelled_waiting.append(tag)


async def run_faults(
    traffic: Traffic, faults: Faults, seed: int, *, settle: float, workdir: Path | None = None
) -> FaultsRun:
    rng = random.Random(seed)
    requests = schedule(traffic, rng)
    env = Env(faults=faults)
    run = FaultsRun("faults", seed, traffic, faults=faults)
    async with _System(env, workdir) as system:
        for offset, worker in enumerate((system.flux, system.sdxl)):
            worker.faults(faults.p_5xx, faults.p_hang, faults.p_html, seed=seed + offset)
        users = Users(system.telegram, env.webhook_url, patience=settle)
        began = time.monotonic()
        sent = await users.run(requests)
        await _settle(run, system, sent, began, settle)
        run.posts, run.refused_posts = users.posts, users.refused
        hits = hits_by_tag([*system.flux.jobs, *system.sdxl.jobs])
        log = GeneratorLog.parse(system["generator"].log_path.read_text())
    run.circuit_opened = log.circuit_opened
    _judge_backends(run, hits, log.deliveries)
    return run


def _judge_backends(run: FaultsRun, hits: dict[str, list[str]], deliveries: dict[str, int]) -> None:
    faults = run.faults
    # A job reaches its backend by its deadline; once there it is not cut off: up to
    # ATTEMPTS read timeouts plus backoffs, then the notifier's edit.
    run.bound_seconds = (
        faults.deadline_seconds + ATTEMPTS * (faults.backend_timeout_seconds + 1) + 10
    )
    for seen in run.seen:
        request = seen.sent.request
        job = f"tg_{request.chat}_{seen.sent.message_id}"
        tried = Tried(request.tag, tuple(hits.get(request.tag, [])), deliveries.get(job, 0))
        run.tried.append(tried)
        ending = seen.verdict if seen.verdict != "error" else seen.finals[0]
        if tried.deliveries <= 1 and ending not in expected_endings(list(tried.hits)):
            run.wrong_ending.append((request.tag, ending, tried.hits))
        if seen.seconds is not None and seen.seconds > run.bound_seconds:
            run.late.append((request.tag, seen.seconds))


async def _settle(
    run: Run, system: EaselSystem, sent: list[Sent], began: float, settle: float
) -> None:
    """Wait (bounded) until every user has an ending and the consumers are idle; record."""
    run.sent_seconds = time.monotonic() - began
    vocabulary = Vocabulary(DISPLAY_NAMES)
    chats = sorted({s.request.chat for s in sent})
    telegram = system.telegram

    def seen_now() -> list[Seen]:
        chat_messages = {chat: telegram.messages(chat) for chat in chats}
        return judge(sent, chat_messages, vocabulary, run.presses)

    with contextlib.suppress(TimeoutError):  # the lost ones are counted below
        await telegram.wait_for_async(lambda: all_ended(seen_now()), timeout=settle)
    run.ended_seconds = time.monotonic() - began
    models = run.traffic.models
    run.busy_after = await busview.until_idle(system.nats.url, models, within=settle)
    run.seen = seen_now()
    run.retry_after = telegram.retry_after_count
    run.press_answers = Counter(a.text or "(no text)" for a in telegram.callback_answers())
    run.press_answers["(unanswered)"] = len(telegram.unanswered_presses())
    run.letters = await busview.dead_letters(system.nats.url)
    run.capacity_violations = system.flux.capacity_violations + system.sdxl.capacity_violations


class _System:
    """EaselSystem with Telegram's flood limits, started off the loop."""

    def __init__(
        self,
        env: Env,
        workdir: Path | None,
        lease_seconds: float | None = None,
        cluster: bool = False,
    ) -> None:
        self.system = EaselSystem(
            workdir,
            flood_limits=True,
            env=env.variables(),
            lease_seconds=lease_seconds,
            cluster=cluster,
        )
        self.system.flux.service_time = SERVICE_SECONDS["flux"]
        self.system.sdxl.service_time = SERVICE_SECONDS["sdxl"]

    async def __aenter__(self) -> EaselSystem:
        await asyncio.to_thread(self.system.start)
        return self.system

    async def __aexit__(self, *exc: object) -> None:
        await asyncio.to_thread(self.system.close)
