"""The last circuit-breaker change any generator replica saw, per model (KV
`easel_controls`, `circuit.<model>`), for `/stats`. Each replica keeps its own breaker;
this is what an operator reads, not what the breakers decide on."""

from __future__ import annotations

import time
from dataclasses import dataclass

from nats.js.kv import KeyValue
from pydantic import BaseModel, ConfigDict

from easel.controls._records import read, write

_PREFIX = "circuit."


class CircuitState(BaseModel):
    model_config = ConfigDict(frozen=True)

    state: str  # closed | open | half_open
    at: float  # unix time of the change


@dataclass(frozen=True)
class CircuitStates:
    kv: KeyValue

    async def record(self, model: str, state: str) -> None:
        await write(self.kv, f"{_PREFIX}{model}", CircuitState(state=state, at=time.time()))

    async def of(self, model: str) -> CircuitState | None:
        return await read(self.kv, f"{_PREFIX}{model}", CircuitState)
