"""Decoders from JSON bytes to the event types a consumer expects, and why a body is not one."""

from __future__ import annotations

from typing import Annotated, Any, TypeVar, Union

from pydantic import Field, TypeAdapter, ValidationError

from easel.bus._outcome import Reason
from easel.events import Event

E = TypeVar("E", bound=Event)

_NOT_AN_OBJECT = frozenset({"json_invalid", "model_type", "dict_type", "model_attributes_type"})


def decoder(*types: type[E]) -> TypeAdapter[E]:
    """A validator for one event type, or a union told apart by `event_type`."""
    if len(types) == 1:
        return TypeAdapter(types[0])
    union: Any = Annotated[Union[types], Field(discriminator="event_type")]  # noqa: UP007
    return TypeAdapter(union)


def rejection(error: Exception) -> tuple[Reason, str]:
    """The bounded reason a body failed to decode, and a detail (field path and message only)."""
    if not isinstance(error, ValidationError):
        return Reason.UNDECODABLE, type(error).__name__
    errors = error.errors(include_url=False)
    first = errors[0]
    where = ".".join(str(part) for part in first["loc"]) or "body"
    detail = f"{where}: {first['msg']} ({len(errors)} error(s))"
    if any(e["type"] in _NOT_AN_OBJECT and not e["loc"] for e in errors):
        return Reason.UNDECODABLE, detail
    # The most telling cause first: a newer schema usually breaks other fields too.
    if any(e["loc"] and e["loc"][-1] == "schema_version" for e in errors):
        return Reason.UNSUPPORTED_VERSION, detail
    # The event union's tag, not a union's inside an event (the requester's kind).
    if any(
        (e["type"].startswith("union_tag") and len(e["loc"]) <= 1)
        or e["loc"][-1:] == ("event_type",)
        for e in errors
    ):
        return Reason.UNKNOWN_EVENT_TYPE, detail
    return Reason.INVALID, detail
