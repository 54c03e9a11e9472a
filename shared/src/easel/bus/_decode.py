"""Decoders from JSON bytes to one of the event types a consumer expects."""

from __future__ import annotations

from typing import Annotated, Any, TypeVar, Union

from pydantic import Field, TypeAdapter

from easel.events import Event

E = TypeVar("E", bound=Event)


def decoder(*types: type[E]) -> TypeAdapter[E]:
    """A validator for one event type, or a union told apart by `event_type`."""
    if len(types) == 1:
        return TypeAdapter(types[0])
    union: Any = Annotated[Union[types], Field(discriminator="event_type")]  # noqa: UP007
    return TypeAdapter(union)
