"""API keys in KV: `name.<name>` holds a key's record, `hash.<sha256>` finds its name."""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from dataclasses import dataclass

import nats.js.errors
from nats.js.kv import KeyValue
from pydantic import BaseModel, ConfigDict

PREFIX = "easel_"  # so a leaked key is recognisable (secret scanners, logs)
_NAME = re.compile(r"[A-Za-z0-9_\-]{1,64}")


def new_key() -> str:
    return PREFIX + secrets.token_urlsafe(32)


def hash_key(key: str) -> str:
    # A key has 256 random bits: a plain hash is enough, no salt or slow hash needed.
    return hashlib.sha256(key.encode()).hexdigest()


def valid_name(name: str) -> bool:
    return _NAME.fullmatch(name) is not None


class ApiKey(BaseModel):
    """A key as stored: never the key itself. `secret` signs its jobs' webhooks."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    key_hash: str
    created_at: float
    secret: str


@dataclass(frozen=True)
class Created:
    key: str  # shown once
    record: ApiKey


def static_keys(spec: str) -> dict[str, ApiKey]:
    """`API_KEYS` (`name:key,name:key`) by hash; ValueError names a bad entry, never a key."""
    found: dict[str, ApiKey] = {}
    for n, entry in enumerate(part.strip() for part in spec.split(",") if part.strip()):
        name, sep, key = entry.partition(":")
        if not sep or not valid_name(name) or len(key) < 16:
            raise ValueError(
                f"API_KEYS entry {n + 1}: expected name:key (name: letters, digits, _ or -;"
                " key: 16 characters or more)"
            )
        record = ApiKey(name=name, key_hash=hash_key(key), created_at=0.0, secret=hash_key(key))
        found[record.key_hash] = record
    return found


class ApiKeys:
    def __init__(self, kv: KeyValue, static: dict[str, ApiKey] | None = None) -> None:
        self._kv = kv
        self._static = static or {}

    async def create(self, name: str) -> Created | None:
        """A new key under `name`; None if that name is taken."""
        key = new_key()
        record = ApiKey(
            name=name,
            key_hash=hash_key(key),
            created_at=time.time(),
            secret=secrets.token_urlsafe(32),
        )
        try:
            await self._kv.create(f"name.{name}", record.model_dump_json().encode())
        except nats.js.errors.KeyWrongLastSequenceError:
            return None
        await self._kv.put(f"hash.{record.key_hash}", name.encode())
        return Created(key, record)

    async def find(self, key: str) -> ApiKey | None:
        """The key's record, if it is a key: from API_KEYS, or made and not revoked."""
        digest = hash_key(key)
        if (static := self._static.get(digest)) is not None:
            return static
        try:
            name = (await self._kv.get(f"hash.{digest}")).value
        except nats.js.errors.NotFoundError:
            return None
        record = await self._record(name.decode() if name else "")
        return record if record is not None and record.key_hash == digest else None

    async def named(self, name: str) -> ApiKey | None:
        """The key made under `name`, or the API_KEYS entry of that name."""
        for record in self._static.values():
            if record.name == name:
                return record
        return await self._record(name)

    async def names(self) -> list[ApiKey]:
        try:
            keys = await self._kv.keys(filters=["name.>"])
        except nats.js.errors.NoKeysError:
            keys = []
        records = [await self._record(key.removeprefix("name.")) for key in keys]
        made = [r for r in records if r is not None]
        return sorted([*self._static.values(), *made], key=lambda r: r.name)

    async def revoke(self, name: str) -> bool:
        """False if no key was made under `name` (API_KEYS entries are revoked there)."""
        record = await self._record(name)
        if record is None:
            return False
        await self._kv.delete(f"hash.{record.key_hash}")
        await self._kv.delete(f"name.{name}")
        return True

    async def _record(self, name: str) -> ApiKey | None:
        if not valid_name(name):
            return None
        try:
            entry = await self._kv.get(f"name.{name}")
        except nats.js.errors.NotFoundError:
            return None
        return ApiKey.model_validate_json(entry.value or b"")
