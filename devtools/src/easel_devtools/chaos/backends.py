"""The failing-backends run judged from the workers' side (pure): how often each job was
tried, whether that stayed within the retry policy, and which ending its user should see.

The oracle is independent of Easel's code: it looks only at what the worker stand-in
answered each attempt of a job (found by the request tag in the prompt it received).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from easel_devtools.chaos.outcomes import tag_in
from easel_devtools.standins import Job

ATTEMPTS = 4  # the generator's policy: the first attempt and 3 retries, per delivery


def hit_kind(job: Job) -> str:
    """ok | 5xx | hang | html | busy | other: what the worker did with one attempt."""
    if job.source == "over capacity":
        return "busy"
    if job.status is None:
        return "hang"  # never answered: the generator's read timeout ended it
    if job.status >= 500:
        return "5xx"
    if job.status == 200:
        return "ok" if job.sha256 else "html"
    return "other"


def hits_by_tag(jobs: Iterable[Job]) -> dict[str, list[str]]:
    hits: dict[str, list[str]] = {}
    for job in sorted(jobs, key=lambda j: j.received_at):
        tag = tag_in(job.prompt or "")
        if tag is not None:
            hits.setdefault(tag, []).append(hit_kind(job))
    return hits


def expected_endings(hits: list[str]) -> frozenset[str]:
    """The endings (`outcomes.Seen.verdict`/final kinds) these attempts allow."""
    if "ok" in hits:
        return frozenset({"photo"})
    if hits and hits[-1] == "html":  # a 200 that is no image is final, not retried
        return frozenset({"failed:invalid_image"})
    if len(hits) >= ATTEMPTS:
        last = {"5xx": "failed:backend_unavailable", "hang": "failed:timeout"}
        return frozenset({last.get(hits[-1], "?")})
    if hits:  # stopped early: the circuit stayed open until the job's deadline
        return frozenset({"failed:backend_unavailable"})
    # Never tried: past its deadline before its turn (backend_unavailable if the circuit
    # was open then).
    return frozenset({"failed:timeout", "failed:backend_unavailable"})


@dataclass
class GeneratorLog:
    """What the generator's log lines (every process it had) say about the run."""

    deliveries: dict[str, int] = field(default_factory=dict)  # job_id → deliveries started
    circuit_opened: Counter[str] = field(default_factory=Counter)  # model → times opened

    @classmethod
    def parse(cls, text: str) -> GeneratorLog:
        log = cls()
        for line in text.splitlines():
            if '"generator.job_started"' not in line and '"generator.circuit_changed"' not in line:
                continue
            try:
                record = json.loads(line)
            except ValueError:
                continue
            job, attempt = record.get("job_id"), record.get("attempt")
            if record.get("event") == "generator.job_started" and isinstance(attempt, int):
                log.deliveries[str(job)] = max(attempt, log.deliveries.get(str(job), 0))
            elif record.get("event") == "generator.circuit_changed" and record["now"] == "open":
                log.circuit_opened[str(record.get("model"))] += 1
        return log


@dataclass(frozen=True)
class Tried:
    tag: str
    hits: tuple[str, ...]
    deliveries: int

    @property
    def within_policy(self) -> bool:
        return len(self.hits) <= ATTEMPTS * max(self.deliveries, 1)


def hit_counts(tried: Iterable[Tried]) -> Counter[str]:
    return Counter(kind for t in tried for kind in t.hits)
