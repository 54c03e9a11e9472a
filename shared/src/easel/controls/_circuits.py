"""The last circuit-breaker change any generator replica saw, per model (KV
`easel_controls`, `circuit.<model>`), for `/stats`. Each replica keeps its own breaker;
this is what an operator reads, not what the breakers decide on."""

from __future__ import annotations

import time
from dataclasses import dataclass

from nats.js.errors import KeyNotFoundError
from nats.js.kv import KeyValue
from pydantic import BaseModel, ConfigDict

from easel import bus

_PREFIX = "circuit."


class CircuitState(BaseModel):
    model_config = ConfigDict(frozen=True)

    state: str  # closed | open | half_open
    at: float  # unix time of the change


@dataclass(frozen=True)
class CircuitStates:
    kv: KeyValue

    async def record(self, model: str, state: str) -> None:
        change = CircuitState(state=state, at=time.time())
        await self.kv.put(f"{_PREFIX}{model}", change.model_dump_json().encode())

    @bus.retry_transient  # a read: safe to repeat through a restart or an election
    async def of(self, model: str) -> CircuitState | None:
        try:
            entry = await self.kv.get(f"{_PREFIX}{model}")
        except KeyNotFoundError:
            return None
        return CircuitState.model_validate_json(entry.value or b"")
