"""The results: one table printed, the same as JSON, and appended to docs/BENCHMARKS.md."""

from __future__ import annotations

import json
import math
import os
import subprocess
from dataclasses import asdict, dataclass, field, is_dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from easel_devtools.harness.runlog import append_to_section


@dataclass(frozen=True)
class Row:
    figure: str
    easel: str
    beside: str = ""  # the baseline, the ceiling or the ideal, named in the text
    target: str = ""
    met: bool | None = None  # None: no target

    @property
    def verdict(self) -> str:
        return "" if self.met is None else ("met" if self.met else "MISSED")


@dataclass
class Outcome:
    """What one scenario measured: table rows plus every raw figure behind them."""

    name: str
    rows: list[Row]
    data: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def ms(seconds: float) -> str:
    return "n/a" if math.isnan(seconds) else f"{seconds * 1000:.1f}"


def head_commit() -> str:
    return _git("rev-parse", "--short", "HEAD")


def context(
    mode: str,
    started: datetime,
    commit_at_start: str,
    load_before: tuple[float, float, float],
    foreign: dict[str, float],
    probes: dict[str, float],
) -> dict[str, Any]:
    return {
        "date": started.strftime("%Y-%m-%d %H:%M UTC"),
        "cores": os.cpu_count(),
        # The services run the working tree's code as each scenario starts them: a commit
        # landing mid-run is named, so a figure is not credited to code it did not run.
        "commit": commit_at_start
        if (now := head_commit()) == commit_at_start
        else f"{commit_at_start} → {now} (changed during the run)",
        "dirty": bool(_git("status", "--porcelain", "--untracked-files=no")),
        "mode": mode,
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in os.getloadavg()],
        # CPU other processes used while each scenario ran, % of one core: a busy machine
        # (another engineer's tests) shows here, not in the load average alone.
        "foreign_cpu_percent": {name: round(pct, 1) for name, pct in foreign.items()},
        # procs.cpu_probe() before each scenario and at the end: the machine's own speed.
        "cpu_probe_seconds": {name: round(sec, 3) for name, sec in probes.items()},
    }


def _git(*args: str) -> str:
    try:
        return subprocess.run(
            ["git", *args], capture_output=True, text=True, check=True, timeout=10
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def table(outcomes: list[Outcome]) -> str:
    header = ("figure", "Easel", "beside it", "target", "")
    lines = [
        header,
        *((r.figure, r.easel, r.beside, r.target, r.verdict) for o in outcomes for r in o.rows),
    ]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    out = [
        "| " + " | ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)) + " |"
        for line in lines
    ]
    out.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(out)


def notes(outcomes: list[Outcome]) -> list[str]:
    return [f"{o.name}: {note}" for o in outcomes for note in o.notes]


def write_json(path: Path, ctx: dict[str, Any], outcomes: list[Outcome]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    body = {
        "context": ctx,
        "rows": [asdict(r) | {"verdict": r.verdict} for o in outcomes for r in o.rows],
        "scenarios": {o.name: o.data for o in outcomes},
        "notes": notes(outcomes),
    }
    path.write_text(json.dumps(body, indent=2, default=_plain) + "\n")


def _plain(value: Any) -> Any:
    """JSON for the figures' dataclasses (summaries, usages); anything else as text."""
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    return str(value)


HEADING = "## Load, Telegram's limits and the reference design (`just bench`)"
INTRO = "Runs of `just bench`; how each figure is taken: the docstrings in `bench/scenarios/`."


def append_markdown(path: Path, ctx: dict[str, Any], outcomes: list[Outcome], command: str) -> None:
    """Add this run at the end of the file's `just bench` section (created if missing): the
    file has other sections (`just chaos`) that must stay whole."""
    dirty = " (with uncommitted changes)" if ctx["dirty"] else ""
    before = "/".join(str(x) for x in ctx["load_before"])
    after = "/".join(str(x) for x in ctx["load_after"])
    others = ", ".join(f"{name} {pct:.0f}" for name, pct in ctx["foreign_cpu_percent"].items())
    probe = ", ".join(f"{name} {sec:.2f}" for name, sec in ctx["cpu_probe_seconds"].items())
    entry = [
        "",
        f"### Bench · {ctx['date']} · {ctx['mode']} · {ctx['cores']} cores · "
        f"commit {ctx['commit']}{dirty}",
        "",
        f"`{command}`; load average (1/5/15 min) before {before}, after {after}; "
        f"other processes' CPU while it ran, % of one core: {others}; CPU probe "
        f"(≈0.10 s when the host is quiet), s: {probe}.",
        "",
        table(outcomes),
        "",
        *(f"- {line}" for line in notes(outcomes)),
    ]
    append_to_section(path, HEADING, INTRO, "\n".join(entry) + "\n")
