"""The HTTP API's limits in the gateway's own `serve()`: the rate limit and the fair share
answer 429 with `Retry-After`, and a place in the fair share taken for a request the rate
limit refused is given back (both are asked at once)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

import httpx
from nats.js import JetStreamContext
from pydantic import SecretStr

from easel import bus
from easel.jobs import Endings
from easel.natsserver import free_port
from easel_gateway.core.jobs import api_user
from easel_gateway.stores.active_jobs import ActiveJobs

Gateway = Callable[..., AbstractAsyncContextManager[None]]  # the conftest fixture
KEY = "easel_limits-key-for-tests-0c9e"


def api(**overrides: object) -> dict[str, object]:
    return {"api_port": free_port(), "api_keys": SecretStr(f"limits:{KEY}"), **overrides}


async def post(client: httpx.AsyncClient, prompt: str) -> httpx.Response:
    return await client.post("/v1/jobs", json={"model": "flux", "prompt": prompt})


def client(settings: dict[str, object]) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{settings['api_port']}",
        headers={"Authorization": f"Bearer {KEY}"},
        timeout=10,
    )


async def test_the_fair_share_answers_429_with_retry_after(gateway: Gateway) -> None:
    settings = api(max_active_jobs_per_user=1)
    async with gateway(**settings), client(settings) as http:
        assert (await post(http, "a first owl")).status_code == 202
        refused = await post(http, "a second owl")
        assert refused.status_code == 429
        assert refused.headers["Retry-After"] == "5"
        error = refused.json()["error"]
        assert error["code"] == "rate_limit_exceeded"
        assert error["message"] == "Too many images in progress for this key (at most 1)."


async def test_a_place_taken_beside_a_rate_limit_refusal_is_given_back(
    gateway: Gateway, js: JetStreamContext
) -> None:
    settings = api(rate_limit_requests=1, max_active_jobs_per_user=2)
    async with gateway(**settings), client(settings) as http:
        assert (await post(http, "a first heron")).status_code == 202
        refused = await post(http, "a second heron")
        assert refused.status_code == 429
        assert refused.json()["error"]["message"] == "Rate limit reached: 1 images per 60 s."
    # One job is active, so a place is left: the refused request's was given back.
    active = ActiveJobs(
        await js.key_value(bus.ACTIVE_JOBS_BUCKET),
        Endings(await js.key_value(bus.ENDINGS_BUCKET)),
        limit=2,
        stale_after=1_200,
    )
    assert (await active.admit(api_user("limits"), "a_probe")).allowed
