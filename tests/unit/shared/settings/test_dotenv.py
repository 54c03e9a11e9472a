"""`.env` is read once, at start, and both the settings and the model registry see it;
a variable set in the environment wins over the file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from easel.settings import EaselSettings, load_settings


def test_settings_and_registry_both_see_dotenv_and_the_environment_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(os, "environ", {"LOG_LEVEL": "ERROR"})  # restored after the test
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text(
        "METRICS_PORT=9123\nLOG_LEVEL=DEBUG\nFLUX_WORKER_URL=http://flux.local/generate\n"
    )
    settings, registry = load_settings(EaselSettings, "easel-test")
    assert settings.metrics_port == 9123
    assert settings.log_level == "ERROR"
    assert registry.names == ("flux",)


def test_without_dotenv_only_the_environment_counts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(os, "environ", {"SDXL_WORKER_URL": "http://sdxl.local/generate"})
    monkeypatch.chdir(tmp_path)
    settings, registry = load_settings(EaselSettings, "easel-test")
    assert settings.metrics_port == 9000
    assert registry.names == ("sdxl",)
