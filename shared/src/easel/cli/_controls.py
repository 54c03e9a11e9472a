"""`easel users allow|deny|list` and `easel models pause|resume|list`: the operator's
controls from a shell, the same records the admins' Telegram commands write."""

from __future__ import annotations

from datetime import UTC, datetime

from easel import bus
from easel.cli._connect import connect_once
from easel.controls import MAX_REASON_CHARS, ModelPauses, Standing, UserList
from easel.settings import load_registry

_BY = "cli"


def _when(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d %H:%M:%S")


async def users(action: str, user_id: int | None) -> int:
    js, close = await connect_once("easel users")
    try:
        listed = UserList(await js.key_value(bus.CONTROLS_BUCKET))
        if action == "list":
            for entry in await listed.entries():
                print(f"{entry.user_id}\t{entry.standing}\t{entry.by}\t{_when(entry.at)}")
            return 0
        assert user_id is not None, "argparse requires it"
        standing = Standing.ALLOWED if action == "allow" else Standing.DENIED
        await listed.set(user_id, standing, _BY)
        print(f"user {user_id}: {standing}")
        return 0
    finally:
        await close()


async def models(action: str, model: str | None, reason: str) -> int:
    if action != "list":
        assert model is not None, "argparse requires it"
        if model.lower() not in load_registry().names:
            print(f"easel models: unknown model {model!r}")
            return 2
        if len(reason) > MAX_REASON_CHARS:
            print(f"easel models: the reason may have at most {MAX_REASON_CHARS} characters")
            return 2
    js, close = await connect_once("easel models")
    try:
        pauses = ModelPauses(js, await js.key_value(bus.CONTROLS_BUCKET))
        if action == "list":
            for name in load_registry().names:
                pause = await pauses.of(name)
                state = f"paused\t{pause.reason}" if pause else "running"
                print(f"{name}\t{state}")
            return 0
        assert model is not None
        if action == "pause":
            await pauses.pause(model.lower(), reason, _BY)
            print(f"{model}: paused; its jobs wait, in order")
        else:
            was = await pauses.resume(model.lower())
            print(f"{model}: resumed" if was else f"{model}: was not paused")
        return 0
    finally:
        await close()
