"""`easel keys create|list|revoke`: the HTTP API's keys. A new key is printed once; only
its hash is stored."""

from __future__ import annotations

from datetime import UTC, datetime

from easel import bus
from easel.cli._connect import connect_once
from easel.keys import ApiKeys
from easel.keys._keys import valid_name


async def keys(action: str, name: str | None) -> int:
    if name is not None and not valid_name(name):
        print("easel keys: a name is 1-64 letters, digits, _ or -")
        return 2
    js, close = await connect_once("easel keys")
    try:
        store = ApiKeys(await js.key_value(bus.API_KEYS_BUCKET))
        if action == "list":
            for record in await store.names():
                made = datetime.fromtimestamp(record.created_at, UTC)
                when = made.strftime("%Y-%m-%d %H:%M:%S") if record.created_at else "API_KEYS"
                print(f"{record.name}\t{when}")
            return 0
        assert name is not None, "argparse requires it"
        if action == "create":
            created = await store.create(name)
            if created is None:
                print(f"easel keys: {name!r} exists; revoke it first")
                return 1
            print(created.key)  # the only time it is shown
            return 0
        if not await store.revoke(name):
            print(f"easel keys: no key named {name!r}")
            return 1
        print(f"{name}: revoked")
        return 0
    finally:
        await close()
