"""`just chaos [--seed N] [--no-append] [--only kills|polling|faults] [--cluster]`: the
scenarios at full size (`--cluster`: the kill run on a 3-node NATS cluster instead);
prints their tables, appends them to docs/BENCHMARKS.md, exits 1 if a user lost a request
or got two endings for one (a photo after "Cancelled" among them), a job was cancelled
unasked, reached a backend after it was cancelled in line, or the job view disagrees with
its user, or a job broke the retry policy or got the wrong error."""

from __future__ import annotations

import argparse
import asyncio
import random
import shlex
import sys
import tempfile
from pathlib import Path

from easel_devtools.chaos import report
from easel_devtools.chaos.plan import Faults, Kills, Traffic
from easel_devtools.chaos.scenarios import FaultsRun, KillsRun, Run, run_faults, run_kills
from easel_devtools.paths import BENCHMARKS

_SCENARIOS = ("kills", "polling", "faults")


def failures(run: Run) -> list[str]:
    verdicts = run.verdicts()
    found = [f"{verdicts[v]} {v}" for v in ("lost", "duplicated") if verdicts[v]]
    if isinstance(run, FaultsRun):
        over = sum(not t.within_policy for t in run.tried)
        found += [f"{over} over the retry policy"] if over else []
        found += [f"{len(run.wrong_ending)} wrong errors"] if run.wrong_ending else []
        found += [f"{len(run.late)} past their deadline"] if run.late else []
    if isinstance(run, KillsRun):
        unasked = sum(s.unasked_cancel for s in run.seen)
        found += [f"{unasked} cancelled unasked"] if unasked else []
        called = len(run.backend_calls_when_cancelled_waiting)
        found += [f"{called} at a backend after a cancel in line"] if called else []
        found += [f"{len(run.view_disagrees)} views disagree"] if run.view_disagrees else []
        found += [f"{len(run.two_endings)} ended twice"] if run.two_endings else []
    return [f"{run.name}: {what}" for what in found]


async def main(args: argparse.Namespace) -> int:
    seed = args.seed if args.seed is not None else random.randrange(1_000_000)
    print(f"chaos seed {seed} (again: just chaos --seed {seed})", flush=True)
    workdir = Path(tempfile.mkdtemp(prefix="easel-chaos-"))
    print(f"service logs under {workdir}", flush=True)
    runs: list[Run] = []
    tables: list[tuple[str, report.Rows]] = []

    def record(title: str, run: Run) -> None:
        rows = report.faults_rows(run) if isinstance(run, FaultsRun) else report.kills_rows(run)
        runs.append(run)
        tables.append((title, rows))
        print(report.text_table(title, rows), flush=True)

    full = Traffic(users=30, per_user=10, send_seconds=60, cancel_share=0.3)
    wanted = set() if args.cluster else {args.only} if args.only else set(_SCENARIOS)
    if args.cluster:
        run = await run_kills(
            full,
            Kills(per_service=2, every_seconds=3.0, nats_kills=3),
            seed,
            settle=240,
            workdir=workdir / "cluster",
            cluster=True,
        )
        record("A 3-node NATS cluster: its work streams' leaders and every service SIGKILLed", run)
    if "kills" in wanted:
        kills = Kills(per_service=3, every_seconds=3.0, nats_kills=1)
        run = await run_kills(full, kills, seed, settle=240, workdir=workdir / "kills")
        record("SIGKILLs of every service and of NATS", run)
    if "polling" in wanted:
        run = await run_kills(
            Traffic(users=20, per_user=5, send_seconds=20, first_chat=720_001),
            Kills(per_service=6, every_seconds=3.0, nats_kills=0, victims=("gateway",)),
            seed,
            settle=240,
            workdir=workdir / "polling",
            polling=True,
        )
        record("Polling mode: the gateway SIGKILLed during a burst", run)
    if "faults" in wanted:
        traffic = Traffic(users=12, per_user=10, send_seconds=60)
        faults = await run_faults(traffic, Faults(), seed, settle=240, workdir=workdir / "faults")
        record("Failing backends", faults)
    if not args.no_append:
        command = "just chaos " + shlex.join(sys.argv[1:]) if sys.argv[1:] else "just chaos"
        report.append_markdown(BENCHMARKS, command.strip(), tables)
        print("appended to docs/BENCHMARKS.md")
    problems = [p for run in runs for p in failures(run)]
    for problem in problems:
        print(f"FAILED {problem}")
    for run in runs:
        for seen in run.seen:
            if seen.verdict in ("lost", "duplicated"):
                job = f"tg_{seen.sent.request.chat}_{seen.sent.message_id}"
                print(f"  {seen.verdict} {job}: {seen.photos} photos, finals {seen.finals}")
    return 1 if problems else 0


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="just chaos", description=__doc__)
    parser.add_argument("--seed", type=int, help="default: random, printed")
    parser.add_argument("--only", choices=_SCENARIOS)
    parser.add_argument(
        "--cluster",
        action="store_true",
        help="instead: the kill run on a 3-node NATS cluster (R3), its leaders SIGKILLed",
    )
    parser.add_argument("--no-append", action="store_true", help="leave docs/BENCHMARKS.md alone")
    return parser.parse_args()


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse())))
