"""GATEWAY_MODE=api: the gateway serves the HTTP API alone, for replicas scaled to API
traffic. It takes no Telegram updates and makes no Bot API call, and is ready without."""

from __future__ import annotations

from typing import Any

import httpx
from pydantic import SecretStr

from easel.natsserver import free_port
from easel_devtools.standins import DEFAULT_TOKEN, BotApiStandin
from easel_devtools.testing import REGISTRY
from easel_gateway.__main__ import serve
from easel_gateway.settings import Settings

KEY = "easel_api-mode-key-for-tests-7d1f"


async def test_the_api_alone_is_served_and_telegram_is_never_called(
    service: Any, telegram: BotApiStandin
) -> None:
    port = free_port()
    settings = Settings(
        telegram_bot_token=SecretStr(DEFAULT_TOKEN),
        telegram_api_url=telegram.base_url,
        gateway_mode="api",
        api_port=port,
        api_keys=SecretStr(f"solo:{KEY}"),
    )
    headers = {"Authorization": f"Bearer {KEY}"}
    async with (
        service(serve, settings, REGISTRY),
        httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}",
            headers=headers,
            # Connecting is retried with backoff (0.5 s, 1 s, …) until the API listens.
            transport=httpx.AsyncHTTPTransport(retries=5),
        ) as http,
    ):
        made = await http.post("/v1/jobs", json={"model": "flux", "prompt": "a quiet pier"})
        assert made.status_code == 202
        job = await http.get(f"/v1/jobs/{made.json()['id']}")
        assert job.json()["state"] == "queued"
    assert sum(telegram.calls.values()) == 0
