"""Composition root: the LLM client and the handler on the `image.requested` consumer."""

from __future__ import annotations

import contextlib

from easel import bus
from easel.events import ImageRequested
from easel.runtime import Runtime, run

from .handler import Enhancer
from .llm import LlmClient
from .settings import Settings


async def serve(rt: Runtime[Settings]) -> None:
    settings = rt.settings
    async with contextlib.AsyncExitStack() as stack:
        llm = None
        if settings.llm_base_url:
            llm = await stack.enter_async_context(
                LlmClient(
                    settings.llm_base_url,
                    settings.llm_api_key,
                    settings.llm_model,
                    settings.llm_timeout_seconds,
                )
            )
        enhancer = Enhancer(rt.js, rt.registry, llm, settings.job_deadline_seconds)
        loop = bus.ConsumerLoop(
            rt.js,
            stream=bus.REQUESTS,
            durable=bus.ENHANCER,
            decode=bus.decoder(ImageRequested).validate_json,
            handler=enhancer.handle,
            workers=settings.enhancer_concurrency,
            heartbeat=bus.ENHANCER_ACK_WAIT / 3,
            give_up=enhancer.give_up,
        )
        async with bus.max_deliveries_watch(rt.js, loop):
            await loop.run(rt.stop)


def main() -> None:
    run("easel-enhancer", Settings, serve)


if __name__ == "__main__":
    main()
