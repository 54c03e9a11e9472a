"""Composition root: per model, a backend client with its circuit breaker and a consume loop
on its FIFO queue; the queue sampler and the sweep of unserved queues beside them."""

from __future__ import annotations

import asyncio
import contextlib

from easel import bus
from easel.events import PromptEnhanced
from easel.runtime import Runtime, run

from .backends import Backend
from .breaker import Breaker
from .jobs import Jobs
from .queue_state import sample_queues
from .settings import Settings
from .store import ImageStore
from .unrouted import sweep_unrouted


async def serve(rt: Runtime[Settings]) -> None:
    settings = rt.settings
    store = ImageStore(rt.js, await bus.images_store(rt.js, settings), bus.IMAGES_BUCKET)
    decode = bus.decoder(PromptEnhanced).validate_json
    backends: dict[str, Backend] = {}

    async def backends_ready() -> str | None:
        missing = [m for m in rt.registry.names if m not in backends or backends[m].closed]
        return f"no backend client for {', '.join(missing)}" if missing else None

    rt.ready_checks.append(backends_ready)
    async with contextlib.AsyncExitStack() as stack:
        for spec in rt.registry.models:
            breaker = Breaker(
                spec.name,
                threshold=settings.circuit_failure_threshold,
                open_seconds=settings.circuit_open_seconds,
            )
            backend = Backend(
                spec,
                settings.generator_retry_base_seconds,
                breaker,
                timeout_seconds=settings.generator_backend_timeout_seconds,
            )
            backends[spec.name] = await stack.enter_async_context(backend)
        loops = []
        for backend in backends.values():
            jobs = Jobs(rt.js, store, backend, settings.job_deadline_seconds)
            # max_ack_pending = capacity on each durable (set by provisioning) is what keeps
            # FIFO and capacity across replicas. One worker more than the capacity keeps a
            # pull request waiting at the server, which hands it the next job as soon as an
            # ack frees a slot, instead of a round trip later; it never runs a job beyond
            # the capacity, the server does not let it.
            loop = bus.ConsumerLoop(
                rt.js,
                stream=bus.PROMPTS,
                durable=bus.generator_consumer(backend.spec.name),
                decode=decode,
                handler=jobs.handle,
                workers=backend.spec.capacity + 1,
                heartbeat=settings.generator_ack_wait_seconds / 3,
                give_up=jobs.give_up,
            )
            await stack.enter_async_context(bus.max_deliveries_watch(rt.js, loop))
            loops.append(loop)
        # A loop that crashes takes the others down with it: better a restart than a
        # process that silently stopped serving one model.
        async with asyncio.TaskGroup() as group:
            for loop in loops:
                group.create_task(loop.run(rt.stop))
            group.create_task(sample_queues(rt.js, rt.registry, rt.stop))
            group.create_task(
                sweep_unrouted(rt.js, rt.registry, rt.stop, settings.job_deadline_seconds)
            )


def main() -> None:
    run("easel-generator", Settings, serve)


if __name__ == "__main__":
    main()
