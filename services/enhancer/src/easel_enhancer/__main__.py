"""easel-enhancer: `image.requested.<model>` in, `prompt.enhanced.<model>` out.

Composition root: the LLM client (when one is configured) and the handler on the
`image.requested` consumer.
"""

from __future__ import annotations

import contextlib

from easel import bus
from easel.controls import Blocklist
from easel.events import ImageRequested
from easel.jobs import Endings
from easel.runtime import Runtime, run, until_stopped
from easel_enhancer.handler import Enhancer
from easel_enhancer.llm import LlmClient
from easel_enhancer.settings import Settings


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
        enhancer = Enhancer(
            publish=bus.publisher(rt.js, "enhancer"),
            registry=rt.registry,
            llm=llm,
            endings=Endings(await rt.js.key_value(bus.ENDINGS_BUCKET)),
            deadline_seconds=settings.job_deadline_seconds,
            blocklist=Blocklist.load(settings.blocklist_file),
        )
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
        await stack.enter_async_context(bus.max_deliveries_watch(rt.js, loop))
        await until_stopped(rt.stop, loop.run)


def main() -> None:
    run("easel-enhancer", Settings, serve)


if __name__ == "__main__":
    main()
