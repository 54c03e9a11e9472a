"""The operator's list of users (KV `easel_controls`, `user.<id>`): allowed or denied, by
whom and when. Read by the gateway on every request; written by admins in Telegram and by
`easel users`."""

from __future__ import annotations

import time
from dataclasses import dataclass

from nats.js.errors import KeyNotFoundError, NoKeysError
from nats.js.kv import KeyValue
from pydantic import BaseModel, ConfigDict

from easel import bus
from easel.controls._access import Standing

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

    @bus.retry_transient  # a read: safe to repeat through a restart or an election
    async def standing(self, user_id: int) -> Standing | None:
        try:
            entry = await self.kv.get(f"{_PREFIX}{user_id}")
        except KeyNotFoundError:  # also a deleted key
            return None
        return UserEntry.model_validate_json(entry.value or b"").standing

    async def set(self, user_id: int, standing: Standing, by: str) -> UserEntry:
        entry = UserEntry(user_id=user_id, standing=standing, by=by, at=time.time())
        await self.kv.put(f"{_PREFIX}{user_id}", entry.model_dump_json().encode())
        return entry

    async def entries(self) -> list[UserEntry]:
        try:
            # All keys, then ours: nats-py 2.16's `keys(filters=…)` missed keys here.
            keys = [key for key in await self.kv.keys() if key.startswith(_PREFIX)]
        except NoKeysError:
            return []
        found = []
        for key in keys:
            try:
                entry = await self.kv.get(key)
            except KeyNotFoundError:  # removed meanwhile
                continue
            found.append(UserEntry.model_validate_json(entry.value or b""))
        return sorted(found, key=lambda e: e.user_id)
