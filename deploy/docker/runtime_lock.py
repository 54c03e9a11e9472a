"""Print the part of a `uv pip compile` lock file that a service needs at run time.

    python runtime_lock.py requirements.lock shared/pyproject.toml services/X/pyproject.toml

The lock pins runtime and dev tools together. Its `# via` comments say which package
pulls in which, so the runtime set is everything reachable from the `dependencies` of
the given pyprojects (local `easel-*` packages are followed through their own pyprojects
only, never taken from the lock). Entries keep their hashes: pip still installs with
--require-hashes. Standard library only: it runs in the image's builder stage.
"""

from __future__ import annotations

import re
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

_NAME = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)")


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass
class Entry:
    name: str
    lines: list[str] = field(default_factory=list)
    via: set[str] = field(default_factory=set)


def parse_lock(text: str) -> dict[str, Entry]:
    entries: dict[str, Entry] = {}
    current: Entry | None = None
    in_via = False
    for line in text.splitlines():
        if line and not line[0].isspace() and not line.startswith("#"):
            match = _NAME.match(line)
            if not match:
                raise ValueError(f"unexpected lock line: {line!r}")
            current = Entry(normalize(match.group(1)), [line])
            entries[current.name] = current
            in_via = False
        elif current is None:
            continue  # the header
        elif line.strip().startswith("--hash") or line.rstrip().endswith("\\"):
            current.lines.append(line)
        elif (comment := line.strip()).startswith("# via"):
            in_via = True
            rest = comment.removeprefix("# via").strip()
            if rest:
                current.via.add(rest)
        elif in_via and comment.startswith("#"):
            current.via.add(comment.lstrip("#").strip())
    return entries


def requirement_name(requirement: str) -> str:
    match = _NAME.match(requirement.strip())
    if not match:
        raise ValueError(f"cannot read a name from {requirement!r}")
    return normalize(match.group(1))


def runtime_closure(entries: dict[str, Entry], roots: set[str]) -> set[str]:
    """Lock entries reachable from roots along the `# via` edges."""
    pulls: dict[str, set[str]] = {}
    for entry in entries.values():
        for parent in entry.via:
            pulls.setdefault(normalize(parent), set()).add(entry.name)
    seen: set[str] = set()
    todo = [name for name in roots if name in entries]
    missing = sorted(name for name in roots if name not in entries)
    if missing:
        raise ValueError(f"not in the lock file: {', '.join(missing)}")
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(pulls.get(name, ()))
    return seen


def roots_from(pyprojects: list[Path]) -> set[str]:
    local: set[str] = set()
    wanted: set[str] = set()
    for path in pyprojects:
        project = tomllib.loads(path.read_text())["project"]
        local.add(normalize(project["name"]))
        wanted.update(requirement_name(r) for r in project.get("dependencies", []))
    return wanted - local


def runtime_lock(lock_text: str, pyprojects: list[Path]) -> tuple[str, set[str]]:
    entries = parse_lock(lock_text)
    keep = runtime_closure(entries, roots_from(pyprojects))
    body = "\n".join("\n".join(entries[name].lines) for name in sorted(keep))
    return f"# runtime subset of the lock for: {', '.join(map(str, pyprojects))}\n{body}\n", keep


def main(argv: list[str]) -> int:
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    text, _ = runtime_lock(Path(argv[1]).read_text(), [Path(p) for p in argv[2:]])
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
