"""CPU time and resident memory of running processes, read from /proc (Linux only).

Peak RSS is the kernel's own high-water mark (`VmHWM`); writing 5 to `clear_refs`
resets it, so a measurement window's peak is not the start-up peak.
"""

from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK")
MIB = 1024 * 1024


def _stat_fields(pid: int) -> list[str]:
    stat = Path(f"/proc/{pid}/stat").read_text()
    # The command name may hold spaces and parentheses: fields start after the last ")".
    return stat.rsplit(")", 1)[1].split()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far."""
    fields = _stat_fields(pid)
    return (int(fields[11]) + int(fields[12])) / _TICKS


def _others_seconds() -> float:
    """CPU time of every process outside this one's tree (kernel threads left out),
    including what their reaped children used (cutime, cstime)."""
    stats: dict[int, list[str]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                stats[int(entry.name)] = _stat_fields(int(entry.name))
    tree, frontier = set(), {os.getpid()}
    while frontier:
        tree |= frontier
        frontier = {pid for pid, f in stats.items() if int(f[1]) in frontier} - tree
    return sum(
        sum(int(f[i]) for i in (11, 12, 13, 14)) / _TICKS
        for pid, f in stats.items()
        if pid not in tree and pid != 2 and int(f[1]) != 2  # kthreadd and its threads
    )


def cpu_probe() -> float:
    """Seconds a fixed pure-Python loop takes (≈0.10 s on a quiet machine of this kind):
    other VMs on the same host slow a run down without showing in /proc."""
    began, total = time.perf_counter(), 0
    for i in range(5_000_000):
        total += i
    return time.perf_counter() - began


class Foreign:
    """CPU other processes used meanwhile (another engineer's tests, say), % of one core.

    Kernel threads are left out: they also carry this run's own loopback traffic."""

    def __init__(self) -> None:
        self._start = (time.monotonic(), _others_seconds())

    def percent(self) -> float:
        wall, others = self._start
        elapsed = max(time.monotonic() - wall, 1e-9)
        return max(_others_seconds() - others, 0.0) / elapsed * 100


def _status_kib(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{key}:"):
            return int(line.split()[1])
    raise KeyError(f"{key} not in /proc/{pid}/status")


def rss_bytes(pid: int) -> int:
    return _status_kib(pid, "VmRSS") * 1024


def peak_rss_bytes(pid: int) -> int:
    return _status_kib(pid, "VmHWM") * 1024


def reset_peak(pid: int) -> bool:
    """Restart the high-water mark from the current RSS; False where the kernel refuses."""
    with contextlib.suppress(OSError):
        Path(f"/proc/{pid}/clear_refs").write_text("5")
        return True
    return False


def children_named(name: str) -> list[int]:
    """Pids of this process's direct children whose command is `name` (e.g. nats-server)."""
    me, found = os.getpid(), []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError, ValueError):
            stat = (entry / "stat").read_text()
            comm = stat[stat.index("(") + 1 : stat.rindex(")")]
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            if ppid == me and comm == name:
                found.append(int(entry.name))
    return found


@dataclass(frozen=True)
class Usage:
    cpu_percent: float  # of one core
    peak_rss_mib: float
    rss_before_mib: float


class Window:
    """CPU% and peak RSS of named processes over a measurement window."""

    def __init__(self, pids: dict[str, int]) -> None:
        self._pids = pids
        self._cpu: dict[str, float] = {}
        self._rss: dict[str, int] = {}
        self._wall = 0.0

    def open(self, now: float) -> None:
        self._wall = now
        for name, pid in self._pids.items():
            reset_peak(pid)
            self._cpu[name] = cpu_seconds(pid)
            self._rss[name] = rss_bytes(pid)

    def close(self, now: float) -> dict[str, Usage]:
        elapsed = max(now - self._wall, 1e-9)
        return {
            name: Usage(
                cpu_percent=100 * (cpu_seconds(pid) - self._cpu[name]) / elapsed,
                peak_rss_mib=peak_rss_bytes(pid) / MIB,
                rss_before_mib=self._rss[name] / MIB,
            )
            for name, pid in self._pids.items()
        }
