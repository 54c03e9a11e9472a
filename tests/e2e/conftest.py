"""One running Easel system per module: starting four processes costs seconds, so tests
share it and keep apart by using their own chat ids."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from easel_devtools.harness import EaselSystem
from easel_devtools.harness.selfhosted import SelfHosted


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EaselSystem]:
    workdir: Path = tmp_path_factory.mktemp("system")
    easel = EaselSystem(workdir).start()
    try:
        yield easel
    finally:
        codes = easel.stop()
        print(f"service exit codes: {codes}")


@pytest.fixture(scope="module")
def self_hosted_system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EaselSystem]:
    """Also the A1111, ComfyUI and OpenAI Images stand-ins, and the models on them."""
    workdir: Path = tmp_path_factory.mktemp("selfhosted")
    easel = EaselSystem(workdir, self_hosted=True).start()
    try:
        yield easel
    finally:
        easel.stop()


@pytest.fixture
def backends(self_hosted_system: EaselSystem) -> SelfHosted:
    assert self_hosted_system.self_hosted is not None
    return self_hosted_system.self_hosted
