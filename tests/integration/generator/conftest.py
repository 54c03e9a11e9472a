"""The generator in-process against a real nats-server and the worker stand-ins."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import pytest

from easel.runtime import Runtime
from easel.settings import ModelRegistry
from easel_generator.__main__ import serve
from easel_generator.settings import Settings

# Short backoff and lease: retries and redeliveries within a test's patience.
SETTINGS = Settings(generator_retry_base_seconds=0.05, generator_ack_wait_seconds=6)

Generator = Callable[..., AbstractAsyncContextManager[Runtime[Settings]]]


@pytest.fixture
def generator(service: Any) -> Generator:
    """`async with generator(registry[, settings]) as runtime:` the generator's `serve()`."""

    def run(
        registry: ModelRegistry, settings: Settings = SETTINGS
    ) -> AbstractAsyncContextManager[Runtime[Settings]]:
        return service(serve, settings, registry)  # type: ignore[no-any-return]

    return run
