"""`easel provision`: what every service also does at start, for operators and init jobs."""

from __future__ import annotations

from easel import bus
from easel.settings import EaselSettings, load_settings


async def provision_all() -> int:
    settings, registry = load_settings(EaselSettings, "easel provision")
    nc = await bus.connect(settings.nats_url, "easel-provision")
    try:
        await bus.provision(nc.jetstream(), settings, registry)
    finally:
        await nc.close()
    print(f"provisioned streams, consumers and buckets for models: {', '.join(registry.names)}")
    return 0
