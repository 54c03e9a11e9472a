"""What the log says of the last while: per model, how many jobs were requested, delivered,
failed and cancelled since a moment (`/stats`). Headers only, in batches, from EASEL_HISTORY."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from easel import bus

KINDS = ("requested", "delivered", "failed", "cancelled")
_BATCH = 512


async def recent(js: JetStreamContext, since: datetime) -> dict[str, Counter[str]]:
    config = ConsumerConfig(
        deliver_policy=DeliverPolicy.BY_START_TIME,
        opt_start_time=since,
        filter_subjects=[f"image.{kind}.*" for kind in KINDS],
        ack_policy=AckPolicy.NONE,
        headers_only=True,  # the subject says it all
        mem_storage=True,
        inactive_threshold=30.0,
    )
    # The subject argument is unused: filter_subjects decides.
    sub = await js.pull_subscribe("image.>", stream=bus.HISTORY, config=config)
    counts: dict[str, Counter[str]] = {}
    info = await sub.consumer_info()
    try:
        pending = info.num_pending
        while pending:
            for msg in await sub.fetch(min(pending, _BATCH), timeout=5):
                _, kind, model = msg.subject.split(".", 2)
                counts.setdefault(model, Counter())[kind] += 1
                pending = msg.metadata.num_pending
    finally:
        await sub.unsubscribe()
        await js.delete_consumer(bus.HISTORY, info.name)
    return counts
