"""docs/openapi.json from the gateway's routes: `python -m easel_devtools.openapi [--write]`;
without --write it fails when the file and the code disagree (`just lint`)."""

from __future__ import annotations

import json
import sys

from easel_devtools.paths import ROOT
from easel_gateway.http.openapi import document

SCHEMA = ROOT / "docs" / "openapi.json"


def main() -> int:
    text = json.dumps(document(), indent=2, ensure_ascii=False) + "\n"
    if "--write" in sys.argv:
        SCHEMA.write_text(text)
        return 0
    if not SCHEMA.exists() or SCHEMA.read_text() != text:
        print(
            f"{SCHEMA} is out of date: run python -m easel_devtools.openapi --write",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
