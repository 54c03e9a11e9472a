"""`easel-gateway` as the process it is deployed as: configuration errors, one request end
to end, metrics, no secrets or prompts in the logs, and a clean stop on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from nats.aio.client import Client

from easel.events import ImageRequested
from easel.natsserver import NatsServer, free_port
from easel_devtools.standins import DEFAULT_TOKEN, BotApiStandin

BINARY = str(Path(sys.executable).parent / "easel-gateway")
PROMPT = "a secret cat"


def environment(**extra: str) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
    return keep | {"FLUX_WORKER_URL": "http://127.0.0.1:9/f", "LOG_FORMAT": "json"} | extra


def get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=5) as answer:  # noqa: S310  # a fixed loopback URL
        return answer.status, answer.read().decode()


async def scrape_until(url: str, text: str, within: float) -> str:
    """The endpoint's body once it contains `text`, or the last body read."""
    body = ""
    async with asyncio.timeout(within):
        while True:
            status, body = await asyncio.to_thread(get, url)
            assert status == 200
            if text in body:
                return body
            await asyncio.sleep(0.05)  # polling a process's HTTP endpoint: no event to await


@pytest.fixture
def telegram() -> Iterator[BotApiStandin]:
    with BotApiStandin(flood_limits=False) as standin:
        yield standin


def test_a_missing_token_stops_the_start_with_one_clear_line(tmp_path: Path) -> None:
    done = subprocess.run(
        [BINARY],
        env=environment(NATS_URL="nats://127.0.0.1:9"),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr == "easel-gateway: configuration error: TELEGRAM_BOT_TOKEN: Field required\n"


async def test_the_process_queues_a_request_reports_metrics_and_stops_cleanly(
    tmp_path: Path, nats_server: NatsServer, nc: Client, telegram: BotApiStandin
) -> None:
    port = free_port()
    env = environment(
        NATS_URL=nats_server.url,
        TELEGRAM_BOT_TOKEN=DEFAULT_TOKEN,
        TELEGRAM_API_URL=telegram.base_url,
        METRICS_PORT=str(port),
    )
    log_path = tmp_path / "gateway.log"
    requested = await nc.subscribe("image.requested.flux")
    with log_path.open("wb") as log:
        proc = await asyncio.create_subprocess_exec(
            BINARY, env=env, cwd=tmp_path, stdout=log, stderr=log
        )
    try:
        await telegram.wait_for_async(lambda: telegram.calls["getUpdates"] > 0, 30)
        update = telegram.send_user_message(4242, f"/image=flux={PROMPT}")
        event = ImageRequested.model_validate_json((await requested.next_msg(timeout=15)).data)
        assert event.job_id == f"tg_4242_{update.message_id}"
        await telegram.wait_for_async(lambda: len(telegram.bot_visible_messages(4242)) == 1)
        accepted = 'easel_gateway_requests_total{outcome="accepted"} 1.0'
        # Counted once the claim is settled, a round trip after the event is out: another
        # process, so its endpoint is read until it shows (bounded).
        metrics = await scrape_until(f"http://127.0.0.1:{port}/metrics", accepted, within=10)
        assert accepted in metrics
        assert 'easel_gateway_requests_total{outcome="rejected_rate_limited"} 0.0' in metrics
        assert await asyncio.to_thread(get, f"http://127.0.0.1:{port}/readyz") == (200, "ready\n")
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), timeout=30) == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    logs = log_path.read_text()
    assert '"event": "gateway.accepted"' in logs
    assert '"event": "service.stopped"' in logs
    assert DEFAULT_TOKEN not in logs
    assert DEFAULT_TOKEN.split(":")[1] not in logs
    assert PROMPT not in logs
