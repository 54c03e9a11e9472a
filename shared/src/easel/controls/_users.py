"""The operator's list of users (KV `easel_controls`, `user.<id>`): allowed or denied, by
whom and when. Read by the gateway on every request; written by admins in Telegram and by
`easel users`."""

from __future__ import annotations

import time
from dataclasses import dataclass

from nats.js.errors import NoKeysError
from nats.js.kv import KeyValue
from pydantic import BaseModel, ConfigDict

from easel.controls._access import Standing
from easel.controls._records import read, write

_PREFIX = "user."


class UserEntry(BaseModel):
    model_config = ConfigDict(frozen=True)

    user_id: int
    standing: Standing
    by: str  # "telegram:<admin id>" or "cli"
    at: float  # unix time


@dataclass(frozen=True)
class UserList:
    kv: KeyValue

    async def standing(self, user_id: int) -> Standing | None:
        entry = await read(self.kv, f"{_PREFIX}{user_id}", UserEntry)
        return None if entry is None else entry.standing

    async def set(self, user_id: int, standing: Standing, by: str) -> UserEntry:
        entry = UserEntry(user_id=user_id, standing=standing, by=by, at=time.time())
        await write(self.kv, f"{_PREFIX}{user_id}", entry)
        return entry

    async def entries(self) -> list[UserEntry]:
        try:
            # All keys, then ours: nats-py 2.16's `keys(filters=…)` missed keys here.
            keys = [key for key in await self.kv.keys() if key.startswith(_PREFIX)]
        except NoKeysError:
            return []
        found = [await read(self.kv, key, UserEntry) for key in keys]
        return sorted((e for e in found if e is not None), key=lambda e: e.user_id)
