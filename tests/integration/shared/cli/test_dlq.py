"""`easel dlq list` and `easel dlq replay` against a real nats-server."""

from __future__ import annotations

import asyncio
from pathlib import Path

import nats
import pytest

from easel import bus
from easel.cli import main
from easel.natsserver import NatsServer
from easel.settings import EaselSettings
from easel_devtools.testing import REGISTRY, enhanced, requested

REASONS = {
    "image.requested.flux": bus.Reason.UNSUPPORTED_VERSION,
    "prompt.enhanced.flux": bus.Reason.MAX_DELIVERIES,
    "prompt.enhanced.sdxl": bus.Reason.DEADLINE,
}


@pytest.fixture
def originals(
    nats_server: NatsServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> list[bytes]:
    """The bodies of the three dead-lettered messages, DLQ seq 1, 2, 3."""
    monkeypatch.chdir(tmp_path)  # no .env from a developer's checkout
    monkeypatch.setenv("NATS_URL", nats_server.url)
    return asyncio.run(seed(nats_server.url))


async def seed(url: str) -> list[bytes]:
    """Three letters, as the consume loop writes them, for originals stored in the streams."""
    nc = await nats.connect(url)
    js = nc.jetstream()
    await bus.provision(js, EaselSettings(), REGISTRY)
    originals = [requested("tg_1_1"), enhanced("tg_1_2"), enhanced("tg_1_3", model="sdxl")]
    for n, event in enumerate(originals, start=1):
        ack = await bus.publish(js, event)
        letter = bus.Letter(
            consumer=bus.ENHANCER if n == 1 else bus.generator_consumer(event.model),
            stream=ack.stream,
            subject=event.subject,
            stream_seq=ack.seq,
            deliveries=n,
            reason=REASONS[event.subject],
            detail="seeded",
            data=event.model_dump_json().encode(),
            headers={"Nats-Msg-Id": event.msg_id, "Traceparent": f"00-{n}"},
        )
        assert await bus.dead_letter(js, letter)
    await nc.close()
    return [event.model_dump_json().encode() for event in originals]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as ended:
        main(list(argv))
    out, err = capsys.readouterr()
    return int(ended.value.code or 0), out, err


async def stream_state(url: str) -> tuple[int, dict[str, int]]:
    """How many letters are left, and how many messages each original subject holds."""
    nc = await nats.connect(url)
    js = nc.jetstream()
    letters = (await js.stream_info(bus.DLQ)).state.messages
    subjects: dict[str, int] = {}
    for stream in (bus.REQUESTS, bus.PROMPTS):
        info = await js.stream_info(stream, subjects_filter=">")
        subjects |= info.state.subjects or {}
    await nc.close()
    return letters, subjects


def test_list_shows_the_newest_letters_as_a_table(
    originals: list[bytes], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "dlq", "list", "--limit", "2")
    assert code == 0
    header, *rows = out.splitlines()
    assert header.split() == ["seq", "consumer", "original", "subject", "reason", "age"]
    assert [row.split()[:4] for row in rows] == [
        ["2", "generator-flux", "prompt.enhanced.flux", "max_deliveries"],
        ["3", "generator-sdxl", "prompt.enhanced.sdxl", "deadline"],
    ]
    assert all(row.split()[4].endswith("s") for row in rows)  # seconds old
    assert "3 letter(s) in EASEL_DLQ; showing the last 2" in err


def test_replay_publishes_the_original_again_with_a_fresh_id(
    nats_server: NatsServer, originals: list[bytes], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "dlq", "replay", "1", "--delete")
    assert code == 0
    assert "after the cause was fixed" in err
    assert out.startswith("1: replayed to image.requested.flux (stream seq 2), deleted")

    async def replayed() -> tuple[bytes, dict[str, str]]:
        nc = await nats.connect(nats_server.url)
        msg = await nc.jetstream().get_msg(bus.REQUESTS, 2)
        await nc.close()
        return msg.data or b"", msg.headers or {}

    data, headers = asyncio.run(replayed())
    assert data == originals[0]  # byte for byte
    assert headers["Nats-Msg-Id"].startswith("replay:")  # not deduplicated against the first
    assert headers["Traceparent"] == "00-1"
    assert not any(k.startswith("Easel-Dlq-") for k in headers)
    assert asyncio.run(stream_state(nats_server.url)) == (
        2,
        {"image.requested.flux": 2, "prompt.enhanced.flux": 1, "prompt.enhanced.sdxl": 1},
    )


def test_replay_all_keeps_the_letters_unless_told(
    nats_server: NatsServer, originals: list[bytes], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "dlq", "replay", "--all")
    assert code == 0
    assert len(out.splitlines()) == 3
    letters, subjects = asyncio.run(stream_state(nats_server.url))
    assert letters == 3
    assert subjects == {
        "image.requested.flux": 2,
        "prompt.enhanced.flux": 2,
        "prompt.enhanced.sdxl": 2,
    }
    code, _, err = run(capsys, "dlq", "replay", "7")
    assert code == 0
    assert "7: no such letter in EASEL_DLQ" in err
