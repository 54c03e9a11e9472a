"""The enhancer in-process against a real nats-server and the LLM stand-in."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import pytest

from easel.runtime import Runtime
from easel_devtools.testing import REGISTRY
from easel_enhancer.__main__ import serve
from easel_enhancer.settings import Settings

Enhancer = Callable[[Settings], AbstractAsyncContextManager[Runtime[Settings]]]


@pytest.fixture
def enhancer(service: Any) -> Enhancer:
    """`async with enhancer(settings):` the enhancer's `serve()`, as deployed."""

    def run(settings: Settings) -> AbstractAsyncContextManager[Runtime[Settings]]:
        return service(serve, settings, REGISTRY)  # type: ignore[no-any-return]

    return run
