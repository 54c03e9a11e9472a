"""One running Easel system per module: starting four processes costs seconds, so tests
share it and keep apart by using their own chat ids."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from easel_devtools.harness import EaselSystem


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EaselSystem]:
    workdir: Path = tmp_path_factory.mktemp("system")
    easel = EaselSystem(workdir).start()
    try:
        yield easel
    finally:
        codes = easel.stop()
        print(f"service exit codes: {codes}")
