"""`easel users` and `easel models` against a real nats-server."""

from __future__ import annotations

import asyncio
from pathlib import Path

import nats
import pytest

from easel import bus
from easel.cli import main
from easel.controls import ModelPauses, Standing, UserList
from easel.natsserver import NatsServer
from easel.settings import EaselSettings
from easel_devtools.testing import REGISTRY


@pytest.fixture
def url(nats_server: NatsServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    monkeypatch.chdir(tmp_path)  # no .env from a developer's checkout
    monkeypatch.setenv("NATS_URL", nats_server.url)
    monkeypatch.setenv("FLUX_WORKER_URL", "http://127.0.0.1:9/generate")
    monkeypatch.setenv("SDXL_WORKER_URL", "http://127.0.0.1:9/generate")
    asyncio.run(provisioned(nats_server.url))
    return nats_server.url


async def provisioned(url: str) -> None:
    nc = await nats.connect(url)
    await bus.provision(nc.jetstream(), EaselSettings(), REGISTRY)
    await nc.close()


def easel(*argv: str) -> int:
    with pytest.raises(SystemExit) as exit_:
        main(list(argv))
    return int(exit_.value.code or 0)


async def state(url: str) -> tuple[dict[int, Standing], bool, str | None]:
    nc = await nats.connect(url)
    js = nc.jetstream()
    kv = await js.key_value(bus.CONTROLS_BUCKET)
    users = {e.user_id: e.standing for e in await UserList(kv).entries()}
    pauses = ModelPauses(js, kv)
    pause = await pauses.of("flux")
    paused = await pauses.consumer_paused("flux")
    await nc.close()
    return users, paused, pause.reason if pause else None


def test_users_and_models_from_the_shell(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert easel("users", "allow", "5") == 0
    assert easel("users", "deny", "7") == 0
    assert easel("users", "list") == 0
    lines = capsys.readouterr().out.splitlines()[-2:]
    assert [line.split("\t")[:3] for line in lines] == [
        ["5", "allowed", "cli"],
        ["7", "denied", "cli"],
    ]
    assert easel("models", "pause", "flux", "--reason", "new GPU") == 0
    assert asyncio.run(state(url)) == ({5: Standing.ALLOWED, 7: Standing.DENIED}, True, "new GPU")
    assert easel("models", "list") == 0
    assert "flux\tpaused\tnew GPU" in capsys.readouterr().out
    assert easel("models", "resume", "flux") == 0
    assert asyncio.run(state(url))[1:] == (False, None)
    assert easel("models", "pause", "nope") == 2
    assert "unknown model 'nope'" in capsys.readouterr().out
