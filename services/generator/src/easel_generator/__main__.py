"""easel-generator: `prompt.enhanced.<model>` in, the image to its backend, `image.*` out.

Composition root: per model, a backend client with its circuit breaker and a consume loop
on its FIFO queue; the queue sampler and the sweep of unserved queues beside them.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import Callable

import nats.errors
import structlog
from nats.aio.msg import Msg
from pydantic import ValidationError

from easel import bus
from easel.controls import CircuitStates
from easel.events import ImageCancelled, PromptEnhanced
from easel.images import ImageReader, ImageWriter
from easel.jobs import Endings, ServiceTimes
from easel.runtime import Runtime, run, until_stopped
from easel_generator.backends import Backend
from easel_generator.circuit_breaker import Breaker, State
from easel_generator.handler import JobHandler
from easel_generator.queue_metrics import sample_queues
from easel_generator.settings import Settings
from easel_generator.unrouted import sweep_unrouted

log = structlog.get_logger("easel.generator")


async def serve(rt: Runtime[Settings]) -> None:
    settings = rt.settings
    images = ImageWriter(await bus.images_store(rt.js, settings))
    photos = ImageReader(rt.js)
    endings = Endings(await rt.js.key_value(bus.ENDINGS_BUCKET))
    service_times = ServiceTimes(await rt.js.key_value(bus.SERVICE_TIMES_BUCKET))
    decode = bus.decoder(PromptEnhanced).validate_json
    backends: dict[str, Backend] = {}
    handlers: dict[str, JobHandler] = {}

    async def on_cancel(msg: Msg) -> None:
        # Core NATS sees every image.cancelled as it is stored: the job in hand is dropped.
        # One missed (a reconnect) costs a wasted render at most: the notifier sends no
        # photo for a cancelled job.
        try:
            cancelled = ImageCancelled.model_validate_json(msg.data)
        except ValidationError:
            return
        if handler := handlers.get(cancelled.model):
            handler.cancel(cancelled.job_id)

    async def backends_ready() -> str | None:
        missing = [m for m in rt.registry.names if m not in backends or backends[m].closed]
        return f"no backend client for {', '.join(missing)}" if missing else None

    rt.ready_checks.append(backends_ready)
    async with contextlib.AsyncExitStack() as stack:
        cancels = await rt.nc.subscribe("image.cancelled.*", cb=on_cancel)
        stack.push_async_callback(cancels.unsubscribe)
        loops = []
        circuits = CircuitStates(await rt.js.key_value(bus.CONTROLS_BUCKET))
        shown: set[asyncio.Task[None]] = set()

        def share(model: str) -> Callable[[State], None]:
            in_order = asyncio.Lock()  # FIFO: the tasks start, and take it, as created

            def changed(state: State) -> None:
                task = asyncio.create_task(_share(circuits, model, state, in_order))
                shown.add(task)  # held until done: the loop keeps only weak references
                task.add_done_callback(shown.discard)

            return changed

        for spec in rt.registry.models:
            breaker = Breaker(
                spec.name,
                threshold=settings.circuit_failure_threshold,
                open_seconds=settings.circuit_open_seconds,
                on_change=share(spec.name),
            )
            # A replica that died with its circuit open left "open" behind: this one
            # starts closed, and says so.
            share(spec.name)(State.CLOSED)
            backend = await stack.enter_async_context(
                Backend(
                    spec,
                    settings.generator_retry_base_seconds,
                    breaker,
                    timeout_seconds=settings.generator_backend_timeout_seconds,
                )
            )
            backends[spec.name] = backend
            handler = JobHandler(
                publish=bus.publisher(rt.js, "generator"),
                images=images,
                photos=photos,
                backend=backend,
                endings=endings,
                service_times=service_times,
                deadline_seconds=settings.job_deadline_seconds,
            )
            handlers[spec.name] = handler
            # max_ack_pending = capacity on each durable (set by provisioning) is what keeps
            # FIFO and capacity across replicas. One worker more than the capacity keeps a
            # pull request waiting at the server, which hands it the next job as soon as an
            # ack frees a slot, instead of a round trip later; it never runs a job beyond
            # the capacity, the server does not let it.
            loop = bus.ConsumerLoop(
                rt.js,
                stream=bus.PROMPTS,
                durable=bus.generator_consumer(spec.name),
                decode=decode,
                handler=handler.handle,
                workers=spec.capacity + 1,
                heartbeat=settings.generator_ack_wait_seconds / 3,
                give_up=handler.give_up,
            )
            await stack.enter_async_context(bus.max_deliveries_watch(rt.js, loop))
            loops.append(loop.run)
        sample = functools.partial(sample_queues, rt.js, rt.registry)
        sweep = functools.partial(
            sweep_unrouted, rt.js, rt.registry, deadline_seconds=settings.job_deadline_seconds
        )
        await until_stopped(rt.stop, *loops, sample, sweep)


async def _share(circuits: CircuitStates, model: str, state: State, in_order: asyncio.Lock) -> None:
    """For /stats only: a change that cannot be written is logged, not retried."""
    try:
        async with in_order:
            await circuits.record(model, state.value)
    except nats.errors.Error as error:
        log.warning("generator.circuit_not_shared", model=model, error=repr(error))


def main() -> None:
    run("easel-generator", Settings, serve)


if __name__ == "__main__":
    main()
