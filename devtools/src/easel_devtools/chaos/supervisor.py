"""The supervisor: SIGKILLs a random service every few seconds and restarts it, as an
orchestrator would after an OOM kill, and SIGKILLs the NATS server once mid-run.

The order is seeded: rounds of the victim services in random order, so each is killed the
planned number of times, with the NATS kill(s) spread in between. Before each kill the
victim's counters are read, so figures such as redeliveries survive its restarts.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from dataclasses import dataclass, field

from prometheus_client.parser import text_string_to_metric_families

from easel.bus import PROMPTS, REQUESTS, RESULTS
from easel_devtools.chaos.plan import Kills
from easel_devtools.harness import EaselSystem, ServiceProcess
from easel_devtools.harness.cluster import NatsCluster

NATS = "nats"
WORK_STREAMS = (PROMPTS, REQUESTS, RESULTS)
# Counters worth adding up over every process a service had (name → labels kept).
COUNTERS = {
    "easel_redeliveries_total": ("consumer",),
    "easel_gateway_claim_takeovers_total": (),
    "easel_gateway_requests_total": ("outcome",),
    "easel_generator_backend_retries_total": ("model",),
    "easel_notifier_deliveries_total": ("outcome",),
}


@dataclass
class Ledger:
    """Counters summed over process lifetimes: each process is read before it dies."""

    totals: dict[tuple[str, tuple[str, ...]], float] = field(default_factory=dict)
    unread: int = 0  # processes that could not be read before their kill

    def absorb(self, service: ServiceProcess) -> None:
        try:
            text = service.metrics()
        except OSError:  # not serving yet (just restarted) or already gone
            self.unread += 1
            return
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                labels = COUNTERS.get(sample.name)
                if labels is not None:
                    key = (sample.name, tuple(sample.labels.get(k, "") for k in labels))
                    self.totals[key] = self.totals.get(key, 0.0) + sample.value

    def total(self, name: str, *labels: str) -> float:
        return sum(
            v for (n, ls), v in self.totals.items() if n == name and ls[: len(labels)] == labels
        )

    def by_label(self, name: str) -> dict[str, float]:
        return {ls[0]: v for (n, ls), v in self.totals.items() if n == name and ls and v}


@dataclass
class Chaos:
    kills: Counter[str] = field(default_factory=Counter)
    nats_kills: int = 0
    nats_victims: list[str] = field(default_factory=list)  # in a cluster: which node
    recoveries: list[float] = field(default_factory=list)  # seconds from kill to ready
    order: list[str] = field(default_factory=list)


def fault_order(kills: Kills, rng: random.Random) -> list[str]:
    order: list[str] = []
    for _ in range(kills.per_service):
        order += rng.sample(kills.victims, len(kills.victims))
    for n in range(kills.nats_kills):
        # Spread evenly, never first or last: mid-run, with traffic on both sides.
        order.insert((n + 1) * len(order) // (kills.nats_kills + 1) + n, NATS)
    return order


class Supervisor:
    def __init__(self, system: EaselSystem, kills: Kills, rng: random.Random) -> None:
        self._system = system
        self._kills = kills
        self._rng = rng
        self.ledger = Ledger()
        self.chaos = Chaos(order=fault_order(kills, rng))

    async def run(self) -> None:
        for victim in self.chaos.order:
            pause = self._kills.every_seconds * self._rng.uniform(0.6, 1.4)
            await asyncio.sleep(pause)  # the kill cadence is the experiment
            began = time.monotonic()
            if victim == NATS:
                await asyncio.to_thread(self._kill_nats)
                self.chaos.nats_kills += 1
            else:
                await asyncio.to_thread(self._kill_and_restart, self._system[victim])
                self.chaos.kills[victim] += 1
            self.chaos.recoveries.append(time.monotonic() - began)

    def final_read(self) -> None:
        """Add the counters of the processes still running."""
        for service in self._system.services.values():
            self.ledger.absorb(service)

    def _kill_and_restart(self, service: ServiceProcess) -> None:
        self.ledger.absorb(service)
        service.kill()
        service.start()
        service.wait_ready(timeout=60)

    def _kill_nats(self) -> None:
        # No shutdown: what JetStream had acknowledged must be in its store directory,
        # which stays; the clients reconnect. In a cluster, the node that leads one of
        # the work streams goes (each kill the next stream's): its followers take over.
        nats = self._system.nats
        if isinstance(nats, NatsCluster):
            stream = WORK_STREAMS[self.chaos.nats_kills % len(WORK_STREAMS)]
            leader = nats.leader_of(stream)
            self.chaos.nats_victims.append(f"{leader} (leading {stream})")
            nats.nodes[leader].stop(kill=True)
            nats.nodes[leader].start()
            nats.wait_ready()
        else:
            nats.stop(kill=True)
            nats.start()
        for service in self._system.services.values():
            service.wait_ready(timeout=60)
