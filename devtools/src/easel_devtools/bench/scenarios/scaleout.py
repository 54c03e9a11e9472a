"""Scale-out: one model served by 1, 2 and 4 backend slots (FLUX_CAPACITY, the worker
stand-in's capacity to match), and 4 slots shared by two generator replicas; jobs per
second at 200 ms service time with a backlog.
"""

from __future__ import annotations

from easel_devtools.bench.measures import span
from easel_devtools.bench.plan import Plan
from easel_devtools.bench.report import Outcome, Row
from easel_devtools.bench.rig import Rig

# (slots, generator replicas)
SHAPES = ((1, 1), (2, 1), (4, 1), (4, 2))
LINEAR_ENOUGH = 0.9  # a k-slot rate at least 90 % of k × the one-slot rate


async def run(plan: Plan) -> Outcome:
    rates: dict[tuple[int, int], float] = {}
    violations = 0
    for slots, replicas in SHAPES:
        n = plan.scale_jobs_per_slot * slots
        async with Rig(service_time=plan.service_time, capacity=slots) as rig:
            for _ in range(replicas - 1):
                rig.add_generator()
            await rig.backlog(n)
            await rig.flux.wait_done(n, timeout=n * plan.service_time * 3 + 60)
            jobs = rig.flux.rendered()
            violations += rig.flux.capacity_violations()
        rates[(slots, replicas)] = len(jobs) / span(jobs)
    one = rates[(1, 1)]
    ideal = 1 / plan.service_time
    rows, shares = [], {}
    for (slots, replicas), rate in rates.items():
        share = shares[f"{slots} slots, {replicas} generators"] = rate / (slots * one)
        rows.append(
            Row(
                f"scale-out: {slots} slot(s), {replicas} generator(s), jobs/s at "
                f"{plan.service_time * 1000:.0f} ms",
                f"{rate:.2f}",
                f"{share:.0%} of {slots} × 1-slot rate; ideal {slots * ideal:.1f}",
                "~linear (≥ 90 %)" if slots > 1 else "",
                share >= LINEAR_ENOUGH if slots > 1 else None,
            )
        )
    data = {
        "jobs_per_second": {f"{s} slots, {r} generators": v for (s, r), v in rates.items()},
        "share_of_linear": shares,
        "capacity_violations": violations,
    }
    return Outcome("scaleout", rows, data, [f"worker capacity violations: {violations}"])
