"""End to end through the native jobs API: 202 at once, the view, the image, a cancel,
the key's list, Idempotency-Key, and a job no other key can see. Keys come from API_KEYS
and from `easel keys` (KV)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import http.server
import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import nats
import pytest

from easel import bus
from easel.keys import ApiKeys
from easel_devtools.harness import API_KEY, EaselSystem
from easel_devtools.standins import Behaviour

pytestmark = pytest.mark.e2e
ENDED = ("succeeded", "failed", "cancelled")


@pytest.fixture
def api(system: EaselSystem) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {API_KEY}"}
    with httpx.Client(base_url=system.api_url, headers=headers, timeout=30) as client:
        yield client


def until(api: httpx.Client, job_id: str, states: tuple[str, ...], seconds: float = 30) -> Any:
    """The job's view once its state is one of `states`, as a client polling it sees it."""
    deadline = time.monotonic() + seconds
    while True:
        view = api.get(f"/v1/jobs/{job_id}").json()
        if view.get("state") in states or time.monotonic() > deadline:
            return view
        time.sleep(0.2)  # a client's polling interval; the SSE stream is the push version


def test_a_job_is_accepted_at_once_then_its_image_is_there(
    system: EaselSystem, api: httpx.Client
) -> None:
    made = api.post("/v1/jobs", json={"model": "flux", "prompt": "a heron at dawn"})
    assert made.status_code == 202
    job_id = made.json()["id"]
    assert made.headers["Location"] == f"/v1/jobs/{job_id}"
    view = until(api, job_id, ENDED)
    assert view["state"] == "succeeded"
    assert view["prompt"] == "a heron at dawn"
    assert "golden hour" in view["revised_prompt"]
    image = api.get(f"/v1/jobs/{job_id}/image")
    assert image.status_code == 200
    digest = hashlib.sha256(image.content).hexdigest()
    assert digest in {j.sha256 for j in system.flux.jobs if "a heron at dawn" in (j.prompt or "")}
    listed = api.get("/v1/jobs", params={"limit": 5}).json()["data"]
    assert listed[0]["id"] == job_id  # newest first


def test_the_same_idempotency_key_gives_the_same_job(
    system: EaselSystem, api: httpx.Client
) -> None:
    body = {"model": "flux", "prompt": "an owl, once"}
    before = system.stream_messages(bus.REQUESTS)
    first = api.post("/v1/jobs", json=body, headers={"Idempotency-Key": "order-17"})
    again = api.post("/v1/jobs", json=body, headers={"Idempotency-Key": "order-17"})
    assert (first.status_code, again.status_code) == (202, 202)
    assert first.json()["id"] == again.json()["id"]
    other = api.post(
        "/v1/jobs",
        json={**body, "prompt": "an owl, twice"},
        headers={"Idempotency-Key": "order-17"},
    )
    assert other.status_code == 409
    assert other.json()["error"]["code"] == "idempotency_key_reused"
    assert system.stream_messages(bus.REQUESTS) == before + 1
    until(api, first.json()["id"], ENDED)


def test_a_job_is_visible_to_its_key_only(system: EaselSystem, api: httpx.Client) -> None:
    other_key = asyncio.run(_created_key(system, "other-team"))
    made = api.post("/v1/jobs", json={"model": "flux", "prompt": "a private picture"})
    job_id = made.json()["id"]
    until(api, job_id, ENDED)
    other = {"Authorization": f"Bearer {other_key}"}
    for path in (f"/v1/jobs/{job_id}", f"/v1/jobs/{job_id}/image"):
        assert httpx.get(system.api_url + path, headers=other, timeout=10).status_code == 404
    assert httpx.delete(f"{system.api_url}/v1/jobs/{job_id}", headers=other).status_code == 404
    mine = httpx.get(f"{system.api_url}/v1/jobs", headers=other, timeout=10).json()["data"]
    assert job_id not in {view["id"] for view in mine}


def test_a_job_cancelled_at_its_backend_ends_cancelled(
    system: EaselSystem, api: httpx.Client
) -> None:
    system.flux.script([Behaviour(delay=20.0)])
    job_id = api.post("/v1/jobs", json={"model": "flux", "prompt": "a slow sunset"}).json()["id"]
    assert until(api, job_id, ("generating", *ENDED))["state"] == "generating"
    cancelled = api.delete(f"/v1/jobs/{job_id}")
    assert cancelled.status_code == 200
    assert cancelled.json()["state"] == "cancelled"
    assert until(api, job_id, ENDED)["state"] == "cancelled"
    assert api.delete(f"/v1/jobs/{job_id}").status_code == 200  # cancelling again: the same
    assert api.get(f"/v1/jobs/{job_id}/image").status_code == 404


async def _created_key(system: EaselSystem, name: str) -> str:
    nc = await nats.connect(bus.servers(system.nats.url))
    try:
        keys = ApiKeys(await nc.jetstream().key_value(bus.API_KEYS_BUCKET))
        created = await keys.create(name)
        assert created is not None
        return created.key
    finally:
        await nc.close()


def sse(api: httpx.Client, job_id: str, last_event_id: str | None = None) -> list[tuple[str, Any]]:
    """Every event of the job's stream until the server ends it: (id, view); a comment as
    ("", text). The client's timeout bounds the wait."""
    headers = {"Last-Event-ID": last_event_id} if last_event_id else {}
    events: list[tuple[str, Any]] = []
    fields: dict[str, str] = {}
    with api.stream("GET", f"/v1/jobs/{job_id}/events", headers=headers) as stream:
        assert stream.status_code == 200
        assert stream.headers["content-type"].startswith("text/event-stream")
        for line in stream.iter_lines():
            if line.startswith(":"):
                events.append(("", line))
            elif line:
                name, _, value = line.partition(": ")
                fields[name] = value
            elif fields:
                assert fields["event"] == "job"
                events.append((fields["id"], json.loads(fields["data"])))
                fields = {}
    return events


def test_the_event_stream_shows_each_change_then_ends_and_resumes(
    system: EaselSystem, api: httpx.Client
) -> None:
    system.flux.script([Behaviour(delay=2.5)])  # idle long enough for a keep-alive comment
    job_id = api.post("/v1/jobs", json={"model": "flux", "prompt": "a kite"}).json()["id"]
    events = sse(api, job_id)
    views = [(int(i), view) for i, view in events if i]
    assert [i for i, _ in views] == sorted({i for i, _ in views})  # ids rise, none twice
    states = [view["state"] for _, view in views]
    assert states[-1] == "succeeded"
    assert "generating" in states
    assert any(i == "" for i, _ in events)  # ": keepalive" while the backend worked
    assert sse(api, job_id, last_event_id=str(views[-1][0])) == []  # nothing after the end
    resumed = [view["state"] for i, view in sse(api, job_id, str(views[0][0])) if i]
    assert resumed == ["succeeded"]  # the newest view after the one it had


class Receiver:
    """A client's webhook endpoint on loopback: answers each POST with the next status of
    `statuses` (then 200), and keeps what it got."""

    def __init__(self, statuses: list[int], expect: int) -> None:
        self.statuses = statuses
        self.got: list[tuple[bytes, str]] = []
        self.all_in = threading.Event()  # set at the `expect`-th POST
        self._expect = expect
        self._server: Any = None

    def __enter__(self) -> str:
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.got.append((body, self.headers.get("Easel-Signature", "")))
                if len(receiver.got) >= receiver._expect:
                    receiver.all_in.set()
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self._server.server_address[1]}/hook"

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()


def test_the_final_view_reaches_the_webhook_signed_even_through_a_failure(
    api: httpx.Client,
) -> None:
    receiver = Receiver([500], expect=2)
    with receiver as url:
        made = api.post("/v1/jobs", json={"model": "flux", "prompt": "a hook", "webhook_url": url})
        job_id = made.json()["id"]
        assert receiver.all_in.wait(timeout=30)  # the sender backs off 2 s after the 500
    assert len(receiver.got) == 2  # refused once, then taken
    (first, _), (body, signed) = receiver.got
    assert first == body  # the same view tried again
    secret = hashlib.sha256(API_KEY.encode()).hexdigest()  # an API_KEYS key's secret
    assert signed == "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    view = json.loads(body)
    assert (view["id"], view["state"]) == (job_id, "succeeded")


def test_a_webhook_url_that_is_not_http_is_refused(api: httpx.Client) -> None:
    bad = {"model": "flux", "prompt": "a cat", "webhook_url": "ftp://example.com/hook"}
    refused = api.post("/v1/jobs", json=bad)
    assert refused.status_code == 400
    assert refused.json()["error"]["param"] == "webhook_url"


def test_a_key_over_its_rate_limit_gets_429_with_retry_after_and_nothing_is_published(
    system: EaselSystem,
) -> None:
    key = asyncio.run(_created_key(system, "burst"))  # a user of its own: 10 images a minute
    headers = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=system.api_url, headers=headers, timeout=30) as burst:
        made = [
            burst.post("/v1/jobs", json={"model": "sdxl", "prompt": f"a burst {n}"})
            for n in range(10)
        ]
        assert [answer.status_code for answer in made] == [202] * 10
        before = system.stream_messages(bus.REQUESTS)
        over = burst.post("/v1/jobs", json={"model": "sdxl", "prompt": "one too many"})
        assert over.status_code == 429
        assert 0 < int(over.headers["Retry-After"]) <= 60
        assert over.json()["error"]["message"] == "Rate limit reached: 10 images per 60 s."
        assert system.stream_messages(bus.REQUESTS) == before
        for answer in made:
            burst.delete(f"/v1/jobs/{answer.json()['id']}")
