"""One control record in KV `easel_controls`: a pydantic model as JSON under its key."""

from __future__ import annotations

from typing import TypeVar

from nats.js.errors import KeyNotFoundError
from nats.js.kv import KeyValue
from pydantic import BaseModel

from easel import bus

M = TypeVar("M", bound=BaseModel)


@bus.retry_transient  # a read: safe to repeat through a restart or an election
async def read(kv: KeyValue, key: str, model: type[M]) -> M | None:
    try:
        entry = await kv.get(key)
    except KeyNotFoundError:  # also a deleted key
        return None
    return model.model_validate_json(entry.value or b"")


async def write(kv: KeyValue, key: str, record: BaseModel) -> None:
    await kv.put(key, record.model_dump_json().encode())
