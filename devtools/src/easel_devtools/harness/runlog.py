"""docs/BENCHMARKS.md as a run log: `just bench` and `just chaos` each append to a section
of their own, and must leave the other's whole."""

from __future__ import annotations

from pathlib import Path


def append_to_section(path: Path, heading: str, intro: str, block: str) -> None:
    """Add `block` at the end of the section under `heading` (created, with `intro`, at the
    end of the file if missing)."""
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    start = text.find(f"\n{heading}\n")
    if start < 0:
        text = text.rstrip("\n") + f"\n\n{heading}\n\n{intro}\n" + block
    else:
        end = text.find("\n## ", start + 1)
        end = len(text) if end < 0 else end + 1
        rest = "\n" + text[end:] if end < len(text) else ""
        text = text[:end].rstrip("\n") + "\n" + block + rest
    path.write_text(text)
