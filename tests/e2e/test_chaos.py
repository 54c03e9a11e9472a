"""`just chaos` in small: 40 requests from 8 users, 30 % of them cancelled by their users,
while each service and nats-server are SIGKILLed once; 30 requests from 6 users while a
polling gateway is SIGKILLed three times; and 20 requests from 4 users against failing
workers. The systems run at the same time: the kill runs spend much of their time waiting
out an ack_wait (enhancer 30 s, notifier 15 s) or a lease, which leaves the cores to the
others.

The seed is random unless CHAOS_SEED is set; it is printed and in every failure message.
"""

from __future__ import annotations

import asyncio
import os
import random
from pathlib import Path

import pytest

from easel_devtools.chaos import report
from easel_devtools.chaos.plan import Faults, Kills, Traffic
from easel_devtools.chaos.scenarios import FaultsRun, KillsRun, run_faults, run_kills
from easel_devtools.harness.system import SERVICES

pytestmark = pytest.mark.e2e

KILLS_TRAFFIC = Traffic(users=8, per_user=5, send_seconds=15, cancel_share=0.3)
FAULTS_TRAFFIC = Traffic(users=4, per_user=5, send_seconds=10, first_chat=710_001)
POLLING_TRAFFIC = Traffic(users=6, per_user=5, send_seconds=8, first_chat=720_001)
FAULTS = Faults(backend_timeout_seconds=1.0, circuit_open_seconds=2.0, deadline_seconds=30.0)
SETTLE = 100.0  # generous: a killed consumer's messages come back after its ack_wait (≤ 30 s)


@pytest.fixture(scope="module")
def seed() -> int:
    chosen = int(os.environ.get("CHAOS_SEED") or random.randrange(1_000_000))
    print(f"chaos seed {chosen} (again: CHAOS_SEED={chosen})")
    return chosen


@pytest.fixture(scope="module")
def runs(
    seed: int, tmp_path_factory: pytest.TempPathFactory
) -> tuple[KillsRun, FaultsRun, KillsRun]:
    workdir: Path = tmp_path_factory.mktemp("chaos")

    async def all_three() -> tuple[KillsRun, FaultsRun, KillsRun]:
        return await asyncio.gather(
            run_kills(
                KILLS_TRAFFIC,
                Kills(per_service=1, every_seconds=2.0),
                seed,
                settle=SETTLE,
                workdir=workdir / "kills",
            ),
            run_faults(FAULTS_TRAFFIC, FAULTS, seed, settle=SETTLE, workdir=workdir / "faults"),
            run_kills(
                POLLING_TRAFFIC,
                Kills(per_service=3, every_seconds=2.0, nats_kills=0, victims=("gateway",)),
                seed,
                settle=SETTLE,
                workdir=workdir / "polling",
                polling=True,
            ),
        )

    kills, faults, polling = asyncio.run(all_three())
    print(report.text_table(f"kills (seed {seed})", report.kills_rows(kills)))
    print(report.text_table(f"faults (seed {seed})", report.faults_rows(faults)))
    print(report.text_table(f"polling (seed {seed})", report.kills_rows(polling)))
    return kills, faults, polling


def test_every_request_ends_once_through_kills_of_every_service_and_nats(
    runs: tuple[KillsRun, FaultsRun, KillsRun], seed: int
) -> None:
    run, _, _ = runs
    context = f"seed {seed}: " + report.text_table("kills", report.kills_rows(run))
    assert all(run.chaos.kills[s] >= 1 for s in SERVICES), context
    assert run.chaos.nats_kills == 1, context
    verdicts = run.verdicts()
    assert len(run.seen) == KILLS_TRAFFIC.requests, context
    assert verdicts["lost"] == verdicts["duplicated"] == 0, context
    # Healthy workers: a request fails only if the gateway could not queue it (NATS down).
    assert set(run.final_kinds()) <= {"queue_failed", "rate_limited", "cancelled"}, context
    assert verdicts["photo"] >= KILLS_TRAFFIC.requests // 2, context
    assert run.busy_after == {}, context
    assert run.capacity_violations == 0, context


def test_every_cancel_ends_its_job_once_and_the_view_agrees_with_the_users(
    runs: tuple[KillsRun, FaultsRun, KillsRun], seed: int
) -> None:
    run, _, _ = runs
    context = f"seed {seed}: " + report.text_table("kills", report.kills_rows(run))
    assert len(run.presses) >= 5, context  # 30 % of 40, give or take the dice
    assert [s.sent.request.tag for s in run.seen if s.unasked_cancel] == [], context
    assert run.backend_calls_when_cancelled_waiting == [], context
    assert run.view_disagrees == [], context
    assert run.two_endings == [], context


def test_failing_workers_end_every_request_within_policy_and_deadline(
    runs: tuple[KillsRun, FaultsRun, KillsRun], seed: int
) -> None:
    _, run, _ = runs
    context = f"seed {seed}: " + report.text_table("faults", report.faults_rows(run))
    verdicts = run.verdicts()
    assert len(run.seen) == FAULTS_TRAFFIC.requests, context
    assert verdicts["lost"] == verdicts["duplicated"] == 0, context
    assert [t.tag for t in run.tried if not t.within_policy] == [], context
    assert run.wrong_ending == [], context
    assert run.late == [], context
    assert run.capacity_violations == 0, context
    assert run.busy_after == {}, context
    answers = {kind for t in run.tried for kind in t.hits}
    assert {"5xx", "ok"} <= answers, context  # the faults were really injected


def test_a_polling_gateway_killed_again_and_again_loses_no_request(
    runs: tuple[KillsRun, FaultsRun, KillsRun], seed: int
) -> None:
    _, _, run = runs
    context = f"seed {seed}: " + report.text_table("polling", report.kills_rows(run))
    assert run.chaos.kills["gateway"] == 3, context
    verdicts = run.verdicts()
    assert len(run.seen) == POLLING_TRAFFIC.requests, context
    assert verdicts["lost"] == verdicts["duplicated"] == 0, context
    assert verdicts["photo"] == POLLING_TRAFFIC.requests, context
    assert run.view_disagrees == [], context
    assert run.busy_after == {}, context
