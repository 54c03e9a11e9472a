"""`just bench [--quick] [--only NAME ...] [--throughput-seconds S] [--backlog-seconds S]`

Runs each scenario against real processes (nats-server, the four services, stand-ins on
loopback), prints one table, writes it as JSON to .easel/bench/latest.json and appends
it to docs/BENCHMARKS.md with the date, core count, git commit and load average.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shlex
import sys
import time
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from easel_devtools.bench import procs
from easel_devtools.bench.plan import Plan
from easel_devtools.bench.report import (
    Outcome,
    append_markdown,
    context,
    head_commit,
    notes,
    table,
    write_json,
)
from easel_devtools.bench.scenarios import (
    api,
    backends,
    cancel,
    estimates,
    fifo,
    handoff,
    jobview,
    memory,
    overhead,
    pace,
    scaleout,
    telegram,
    throughput,
)
from easel_devtools.paths import BENCHMARKS, ROOT

SCENARIOS: dict[str, Callable[[Plan], Coroutine[Any, Any, Outcome]]] = {
    "handoff": handoff.run,
    "overhead": overhead.run,
    "throughput": throughput.run,
    "telegram": telegram.run,
    "telegram_replicas": telegram.run_replicas,
    "pace": pace.run,
    "scaleout": scaleout.run,
    "memory": memory.run,
    "jobview": jobview.run,
    "cancel": cancel.run,
    "estimates": estimates.run,
    "api": api.run,
    "fifo": fifo.run,
    "backends": backends.run,
}


def main() -> int:
    parser = argparse.ArgumentParser(prog="just bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller runs: a few minutes")
    parser.add_argument(
        "--throughput-seconds", type=float, help="throughput window (default 60, quick 10)"
    )
    parser.add_argument(
        "--backlog-seconds", type=float, help="worker seconds per job in the backlog (default 1)"
    )
    parser.add_argument("--only", nargs="+", choices=sorted(SCENARIOS), help="run just these")
    parser.add_argument(
        "--no-append", action="store_true", help="do not append to docs/BENCHMARKS.md"
    )
    parser.add_argument("--out", type=Path, default=ROOT / ".easel" / "bench" / "latest.json")
    args = parser.parse_args()
    plan = Plan.make(
        quick=args.quick,
        throughput_seconds=args.throughput_seconds,
        backlog_seconds=args.backlog_seconds,
    )
    started, commit = datetime.now(UTC), head_commit()
    load_before = os.getloadavg()
    print(f"load average before: {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f}")
    outcomes, foreign, probes = [], {}, {}
    for name in args.only or SCENARIOS:
        probes[name] = procs.cpu_probe()
        began, others = time.monotonic(), procs.Foreign()
        print(f"· {name} … (CPU probe {probes[name]:.2f} s)", flush=True)
        outcome = asyncio.run(SCENARIOS[name](plan))
        foreign[name] = others.percent()
        print(
            f"  {name}: {time.monotonic() - began:.0f} s; other processes on the machine "
            f"meanwhile: {foreign[name]:.0f} % of a core",
            flush=True,
        )
        outcomes.append(outcome)
    probes["end"] = procs.cpu_probe()
    mode = ("quick" if plan.quick else "full") + (f" ({', '.join(args.only)})" if args.only else "")
    ctx = context(mode, started, commit, load_before, foreign, probes)
    print()
    print(table(outcomes))
    for line in notes(outcomes):
        print(f"- {line}")
    write_json(args.out, ctx, outcomes)
    print(f"\nJSON: {args.out}")
    if not args.no_append:
        command = "just bench " + shlex.join(sys.argv[1:])
        append_markdown(BENCHMARKS, ctx, outcomes, command.strip())
        print("appended to docs/BENCHMARKS.md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
