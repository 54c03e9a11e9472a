"""Build docs/events.md from the event models; fail if the committed file differs.

python -m easel_devtools.catalogue          # check (run by `just lint`)
python -m easel_devtools.catalogue --write  # regenerate
"""

from __future__ import annotations

import re
import sys
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel

from easel.bus import topology
from easel.events import ALL_EVENTS, EPHEMERAL_EVENTS, SCHEMA_VERSION, Event
from easel.settings import EaselSettings, load_registry
from easel_devtools.paths import ROOT

CATALOGUE = ROOT / "docs" / "events.md"


def _members(annotation: Any) -> list[Any]:
    """A union's members, through Optional and Annotated (a tagged union's tags dropped)."""
    if get_origin(annotation) is Annotated:
        return _members(get_args(annotation)[0])
    if get_origin(annotation) in (Union, UnionType):
        return [leaf for arg in get_args(annotation) for leaf in _members(arg)]
    return [annotation]


def _type(annotation: Any) -> str:
    members = _members(annotation)
    if len(members) > 1:
        return " \\| ".join(_type(member) for member in members)
    (annotation,) = members
    if annotation is type(None):
        return "None"
    text = annotation.__name__ if isinstance(annotation, type) else repr(annotation)
    return re.sub(r"\b(?:typing|datetime|easel\.events(?:\.\w+)?)\.", "", text).replace("|", "\\|")


def _fields(model: type[BaseModel], prefix: str = "") -> list[str]:
    rows = []
    for name, field in model.model_fields.items():
        annotation = field.annotation
        nested = [a for a in _members(annotation) if isinstance(a, type)]
        doc = (field.description or "").replace("|", "\\|")
        required = "yes" if field.is_required() else "no"
        rows.append(f"| `{prefix}{name}` | `{_type(annotation)}` | {required} | {doc} |")
        for sub in nested:
            if issubclass(sub, BaseModel):
                rows += _fields(sub, f"{prefix}{name}.")
    return rows


def _event(event: type[Event]) -> list[str]:
    return [
        f"## `{event.subject_prefix}.<model>` — {event.__name__}",
        "",
        (event.__doc__ or "").strip(),
        "",
        f"- published by: {event.publisher}",
        f"- consumed by: {', '.join(event.consumers)}",
        "",
        "| field | type | required | note |",
        "|---|---|---|---|",
        *_fields(event),
        "",
    ]


def render() -> str:
    env = {"FLUX_WORKER_URL": "http://flux", "SDXL_WORKER_URL": "http://sdxl"}
    layout = topology(EaselSettings(), load_registry(env))
    lines = [
        "# Event catalogue",
        "",
        "Generated from `shared/src/easel/events` by `python -m easel_devtools.catalogue"
        " --write`; `just lint` fails when this file and the code disagree.",
        "",
        f"Every event is JSON with the envelope fields (`event_id`, `job_id`, `event_type`,"
        f" `schema_version` = {SCHEMA_VERSION}, `occurred_at`, `model`) and is published with"
        " `Nats-Msg-Id: <event_type>:<job_id>`, so a retried publish within the stream's"
        " duplicate window is dropped (`image.progress`: `<event_type>:<job_id>:<percent>`)."
        " Subjects end in the model name (`image.progress`: then the job id).",
        "",
        "## Streams",
        "",
        "| stream | subjects |",
        "|---|---|",
        *(
            f"| `{s.name}` | {', '.join(f'`{x}`' for x in s.subjects or [])} |"
            for s in layout.streams
        ),
        "",
        *(line for event in (*ALL_EVENTS, *EPHEMERAL_EVENTS) for line in _event(event)),
    ]
    return "\n".join(lines).rstrip() + "\n"


def main() -> int:
    text = render()
    if "--write" in sys.argv:
        CATALOGUE.write_text(text)
        return 0
    if not CATALOGUE.exists() or CATALOGUE.read_text() != text:
        fix = "python -m easel_devtools.catalogue --write"
        print(f"{CATALOGUE} is out of date: run {fix}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
