"""`devtools/install-tools.sh`, which `just setup` runs: valid bash, and each command the
tests skip without is mapped to the Debian package that ships it."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from easel_devtools.paths import ROOT

SCRIPT = ROOT / "devtools" / "install-tools.sh"


def test_the_script_is_valid_bash_and_names_each_package() -> None:
    bash = shutil.which("bash")
    assert bash is not None
    checked = subprocess.run([bash, "-n", str(SCRIPT)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    text = SCRIPT.read_text()
    for command, package in (
        ("promtool", "prometheus"),
        ("chromium", "chromium"),
        ("chromedriver", "chromium-driver"),
    ):
        assert f"[{command}]={package}" in text
    assert "--no-install-recommends" in text


def test_with_every_tool_present_it_installs_nothing() -> None:
    if not all(shutil.which(c) for c in ("promtool", "chromium", "chromedriver")):
        pytest.skip("a tool is missing here, so a run would install it")
    done = subprocess.run(["bash", str(SCRIPT)], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert "installing" not in done.stdout
