"""What every integration test may ask for: the one in-process runner of a service."""

from __future__ import annotations

import functools
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import pytest

from easel.natsserver import NatsServer
from easel.runtime import Runtime
from easel_devtools.testing import serving

Service = Callable[..., AbstractAsyncContextManager[Runtime[Any]]]


@pytest.fixture
def service(nats_server: NatsServer) -> Service:
    """`async with service(serve, settings, registry) as runtime:` runs a service's `serve()`
    in this loop against the test's server, as `easel.runtime.run` would, until the block
    ends."""
    return functools.partial(serving, nats_url=nats_server.url)
