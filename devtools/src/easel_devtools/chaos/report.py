"""A chaos run as a two-column table: printed, and appended to docs/BENCHMARKS.md."""

from __future__ import annotations

import os
import subprocess
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path

from easel_devtools.chaos.backends import ATTEMPTS, hit_counts
from easel_devtools.chaos.scenarios import FaultsRun, KillsRun, Run
from easel_devtools.chaos.supervisor import NATS
from easel_devtools.harness.runlog import append_to_section
from easel_devtools.harness.system import SERVICES

Rows = list[tuple[str, str]]

CHAOS_HEADING = "## Chaos"
CHAOS_INTRO = """\
`just chaos`: the whole system (four service processes, nats-server, the Bot API and worker
stand-ins; the gateway in webhook mode) while a supervisor SIGKILLs services and restarts
NATS, then while the workers fail. Every request's ending is read from its user's chat:
one photo, or one final error or rejection; "lost" and "duplicated" must be 0. Each run
below is appended by `just chaos` (`easel_devtools.chaos`)."""


def _counts(counter: Mapping[str, float] | Counter[str], empty: str = "none") -> str:
    items = [(k, v) for k, v in sorted(counter.items()) if v]
    return ", ".join(f"{k} {v:g}" for k, v in items) or empty


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def _common(run: Run) -> Rows:
    verdicts = run.verdicts()
    errors = Counter(
        {k: v for k, v in run.final_kinds().items() if k not in ("rate_limited", "cancelled")}
    )
    stray = sum(s.stray_status for s in run.seen)
    latencies = [s.seconds for s in run.seen if s.seconds is not None]
    t = run.traffic
    return [
        ("seed", str(run.seed)),
        ("requests", f"{len(run.seen)} from {t.users} users ({'+'.join(t.models)})"),
        ("photos", str(verdicts["photo"])),
        ("cancelled", str(verdicts["cancelled"])),
        ("errors (final text)", f"{verdicts['error']}: {_counts(errors)}"),
        ("rejected (rate limit)", str(verdicts["rejected"])),
        ("lost", str(verdicts["lost"])),
        ("duplicated", str(verdicts["duplicated"])),
        ("stray status messages", str(stray)),
        (
            ("webhook POSTs", f"{run.posts} ({run.refused_posts} without a 200, retried)")
            if run.posts
            else ("updates", "fetched by the gateway (getUpdates)")
        ),
        ("Telegram 429s", str(run.retry_after)),
        ("dead letters", _counts(run.letters)),
        ("consumers idle at the end", "yes" if not run.busy_after else _counts(run.busy_after)),
        (
            "time",
            f"all sent {run.sent_seconds:.0f} s, all ended {run.ended_seconds:.0f} s; per request"
            f" p50 {_percentile(latencies, 0.5):.1f} s, p95 {_percentile(latencies, 0.95):.1f} s,"
            f" max {max(latencies, default=float('nan')):.1f} s",
        ),
    ]


def kills_rows(run: KillsRun) -> Rows:
    chaos, ledger = run.chaos, run.ledger
    recoveries = chaos.recoveries
    gateway = ledger.by_label("easel_gateway_requests_total")
    return [
        *_common(run),
        *_cancel_rows(run),
        ("kills", ", ".join(f"{s} {chaos.kills[s]}" for s in SERVICES if s in chaos.kills)),
        (
            "NATS SIGKILLs",
            f"{chaos.nats_kills}"
            + (f": {', '.join(chaos.nats_victims)}" if chaos.nats_victims else ""),
        ),
        (
            "fault → all ready",
            f"median {_percentile(recoveries, 0.5):.1f} s, max {max(recoveries, default=0):.1f} s",
        ),
        ("order", " ".join("NATS" if v == NATS else v[:3] for v in chaos.order)),
        ("redeliveries", _counts(ledger.by_label("easel_redeliveries_total"))),
        ("claim takeovers", f"{ledger.total('easel_gateway_claim_takeovers_total'):g}"),
        ("gateway outcomes", _counts(gateway)),
        ("notifier deliveries", _counts(ledger.by_label("easel_notifier_deliveries_total"))),
        ("processes not read before their kill", str(ledger.unread)),
    ]


def _cancel_rows(run: KillsRun) -> Rows:
    t = run.traffic
    kinds = Counter(p.kind for p in run.presses if p.made)
    pressed = [s for s in run.seen if s.press and s.press.made]
    too_late = sum(s.verdict == "photo" for s in pressed)
    disagree = "; ".join(
        f"{tag}: saw {saw}, view {state}" for tag, saw, state in run.view_disagrees
    )
    return [
        (
            "cancel presses",
            f"{len(pressed)} of {len(run.presses)} planned ({t.cancel_share:.0%} of requests,"
            f" within {t.cancel_within:g} s): {_counts(kinds)}; the others found no button",
        ),
        ("what the pressers were told", _counts(run.press_answers)),
        ("pressed, yet a photo (pressed too late)", str(too_late)),
        ("cancelled without a press", str(sum(s.unasked_cancel for s in run.seen))),
        (
            "backend calls for jobs cancelled while waiting",
            f"{len(run.backend_calls_when_cancelled_waiting)}"
            f" (of {len(run.cancelled_waiting)} such jobs)",
        ),
        (
            "job view against the users",
            f"{len(run.view_disagrees)} disagree" + (f" ({disagree[:300]})" if disagree else ""),
        ),
        ("jobs the view ended twice", str(len(run.two_endings))),
    ]


def faults_rows(run: FaultsRun) -> Rows:
    f = run.faults
    tries = [len(t.hits) for t in run.tried]
    over = [t.tag for t in run.tried if not t.within_policy]
    latencies = [s.seconds for s in run.seen if s.seconds is not None]
    # Fewer attempts than the policy and no final answer: the circuit stayed open.
    stopped_early = [
        t for t in run.tried if len(t.hits) < ATTEMPTS and not {"ok", "html"} & set(t.hits)
    ]
    wrong = "; ".join(f"{tag}: {saw} after {','.join(hits)}" for tag, saw, hits in run.wrong_ending)
    return [
        *_common(run),
        (
            "faults",
            f"5xx {f.p_5xx:.0%}, hang {f.p_hang:.0%}, HTML {f.p_html:.0%}; read timeout"
            f" {f.backend_timeout_seconds:g} s, circuit open {f.circuit_open_seconds:g} s,"
            f" deadline {f.deadline_seconds:g} s",
        ),
        ("worker answers", _counts(hit_counts(run.tried))),
        ("circuit opened", _counts(run.circuit_opened)),
        ("failed at the deadline, under 4 attempts", str(len(stopped_early))),
        (
            f"attempts per job (policy ≤ {ATTEMPTS} per delivery)",
            f"max {max(tries, default=0)}, over the policy {len(over)}",
        ),
        (
            "wrong friendly error",
            f"{len(run.wrong_ending)}" + (f" ({wrong[:300]})" if wrong else ""),
        ),
        (
            "ended within deadline + backend time",
            f"{len(latencies) - len(run.late)}/{len(run.seen)} (bound {run.bound_seconds:.0f} s,"
            f" max {max(latencies, default=float('nan')):.1f} s)",
        ),
        ("worker capacity violations", str(run.capacity_violations)),
    ]


def text_table(title: str, rows: Rows) -> str:
    width = max(len(name) for name, _ in rows)
    return "\n".join([title, *(f"  {name:<{width}}  {value}" for name, value in rows)])


def markdown_table(rows: Rows) -> str:
    lines = ["| figure | value |", "|---|---|"]
    lines += [f"| {name} | {value.replace('|', '/')} |" for name, value in rows]
    return "\n".join(lines)


def append_markdown(path: Path, command: str, tables: Iterable[tuple[str, Rows]]) -> None:
    """Add this run at the end of the file's Chaos section (created if missing): other
    sections (the benchmarks') are appended to the same file and must stay whole."""
    date = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    entry = ["", f"### Chaos · {date} · {os.cpu_count()} cores · commit {_commit()}", ""]
    entry.append(f"`{command}`")
    for title, rows in tables:
        entry += ["", f"**{title}**", "", markdown_table(rows)]
    append_to_section(path, CHAOS_HEADING, CHAOS_INTRO, "\n".join(entry) + "\n")


def _commit() -> str:
    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], capture_output=True, text=True, check=False)
        return done.stdout.strip()

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    return commit + (" (with uncommitted changes)" if git("status", "--porcelain") else "")
