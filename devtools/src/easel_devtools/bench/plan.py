"""How big each measurement is: the full run, or `--quick` (a few minutes in all)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Plan:
    quick: bool
    backlog_jobs: int  # handoff gap and utilisation, Easel
    baseline_jobs: int  # the same for the reference design (≈2 s per job)
    backlog_service_time: float  # worker seconds per job in the backlog (busy share) run
    service_time: float  # worker seconds per job in the scale-out runs
    overhead_requests: int
    throughput_seconds: float
    telegram_chats: int
    telegram_per_chat: int
    pace_jobs: int
    scale_jobs_per_slot: int
    memory_images: int
    jobview_seconds: float  # the steady 50 jobs/s the projection lag is measured under
    rebuild_jobs: int  # jobs (6 events each) `easel jobs rebuild` folds
    cancel_trials: int  # presses of "✖ Cancel" on a job at its backend
    estimate_seconds: float  # of steady arrivals whose estimates are checked
    api_requests: int  # synchronous API calls timed one at a time
    sse_streams: int  # SSE streams open at once on one gateway
    fifo_jobs: int  # asked in turn through Telegram and the API, all waiting at once
    backends_jobs: int  # renders watched one at a time for their progress, per backend
    backends_cancels: int  # presses of "✖ Cancel" on a running render, per backend
    adapter_iterations: int  # of each kind's own per-job code, timed in-process
    generator_cpu_jobs: int  # one at a time per kind, the generator's CPU read from /proc

    @classmethod
    def make(
        cls, *, quick: bool, throughput_seconds: float | None, backlog_seconds: float | None = None
    ) -> Plan:
        return cls(
            quick=quick,
            backlog_jobs=50 if quick else 200,
            baseline_jobs=15 if quick else 200,
            backlog_service_time=backlog_seconds or 1.0,
            service_time=0.2,
            overhead_requests=30 if quick else 100,
            throughput_seconds=throughput_seconds or (10.0 if quick else 60.0),
            telegram_chats=100,
            telegram_per_chat=3,
            pace_jobs=5 if quick else 10,
            scale_jobs_per_slot=25 if quick else 50,
            memory_images=30 if quick else 100,
            jobview_seconds=10 if quick else 30,
            rebuild_jobs=10_000 if quick else 100_000,
            cancel_trials=10 if quick else 30,
            estimate_seconds=90 if quick else 400,
            api_requests=20 if quick else 100,
            sse_streams=200 if quick else 1000,
            fifo_jobs=10 if quick else 40,
            backends_jobs=3 if quick else 5,
            backends_cancels=3 if quick else 5,
            adapter_iterations=50 if quick else 200,
            generator_cpu_jobs=10 if quick else 30,
        )
