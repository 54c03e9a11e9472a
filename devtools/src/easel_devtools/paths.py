"""Where the repository's files are: the dev tools run from an editable install in it."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
BENCHMARKS = ROOT / "docs" / "BENCHMARKS.md"
