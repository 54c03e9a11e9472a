"""Why a body is poison: the bounded reasons, with the decoders the services use."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from easel import bus
from easel.events import (
    ApiRequester,
    ImageFailed,
    ImageGenerated,
    ImageRequested,
    ImageStarted,
    PromptEnhanced,
    TelegramRequester,
)

DECODERS = {
    "enhancer": bus.decoder(ImageRequested),
    "generator": bus.decoder(PromptEnhanced),
    "notifier": bus.decoder(ImageStarted, ImageGenerated, ImageFailed),
}
JOB = {"original_prompt": "a cat", "requested_at": "2026-01-01T00:00:00Z"}


def body(**fields: Any) -> bytes:
    return json.dumps({"job_id": "tg_1_1", "model": "flux", "job": JOB, **fields}).encode()


def reason(consumer: str, data: bytes) -> bus.Reason:
    with pytest.raises(Exception) as caught:  # noqa: PT011 - whatever the decoder raises
        DECODERS[consumer].validate_json(data)
    return bus.rejection(caught.value)[0]


@pytest.mark.parametrize("consumer", DECODERS)
@pytest.mark.parametrize(
    "data",
    [b"{not json", b"\xff\xfe\x00", b"[1, 2]", b'"a string"', b"null", b"[" * 50_000, b""],
)
def test_what_is_not_a_json_object_is_undecodable(consumer: str, data: bytes) -> None:
    assert reason(consumer, data) is bus.Reason.UNDECODABLE


@pytest.mark.parametrize(
    ("consumer", "event_type"),
    [
        ("enhancer", "image.requested"),
        ("generator", "prompt.enhanced"),
        ("notifier", "image.started"),
        ("notifier", "image.failed"),
    ],
)
def test_another_schema_version_is_unsupported(consumer: str, event_type: str) -> None:
    data = body(event_type=event_type, schema_version=5, something_new=True)
    assert reason(consumer, data) is bus.Reason.UNSUPPORTED_VERSION


@pytest.mark.parametrize(
    ("consumer", "event_type"),
    [
        ("enhancer", "prompt.enhanced"),
        ("generator", "image.requested"),
        ("notifier", "image.exploded"),
        ("notifier", None),  # the union cannot tell which event it is
    ],
)
def test_an_event_the_consumer_does_not_take(consumer: str, event_type: str | None) -> None:
    fields = {} if event_type is None else {"event_type": event_type}
    data = json.dumps({"job_id": "tg_1_1", **fields}).encode()
    assert reason(consumer, data) is bus.Reason.UNKNOWN_EVENT_TYPE


@pytest.mark.parametrize(
    ("consumer", "data"),
    [
        ("enhancer", body(event_type="image.requested", job={**JOB, "original_prompt": ""})),
        ("generator", body(event_type="prompt.enhanced", prompt="x" * 60_000, enhanced=True)),
        ("generator", body(event_type="prompt.enhanced", prompt="p", enhanced=True, extra=1)),
        ("notifier", body(event_type="image.started", attempt=0)),
        ("notifier", body(event_type="image.failed", error_code="exploded", retried=False)),
    ],
)
def test_the_right_event_with_bad_fields_is_invalid(consumer: str, data: bytes) -> None:
    assert reason(consumer, data) is bus.Reason.INVALID


def test_the_detail_names_the_field_not_its_value() -> None:
    secret = "hunter2-prompt"
    data = body(event_type="prompt.enhanced", prompt=secret * 100, enhanced=True)
    with pytest.raises(ValueError) as caught:  # noqa: PT011
        DECODERS["generator"].validate_json(data)
    _, detail = bus.rejection(caught.value)
    assert detail.startswith("prompt: ")
    assert secret not in detail


def test_a_letter_keeps_the_original_and_adds_where_why_and_when() -> None:
    letter = bus.Letter(
        consumer="generator-flux",
        stream=bus.PROMPTS,
        subject="prompt.enhanced.flux",
        stream_seq=42,
        deliveries=3,
        reason=bus.Reason.INVALID,
        detail="caf\u00e9\r\nInjected: yes " + "x" * 400,
        data=b"{}",
        headers={"Nats-Msg-Id": "prompt.enhanced:tg_1_1", "Traceparent": "00-abc"},
    )
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    headers = letter.dlq_headers(when)
    h = bus.DlqHeader
    assert headers[h.REASON] == "invalid"
    assert headers[h.SUBJECT] == "prompt.enhanced.flux"
    assert headers[h.STREAM] == "EASEL_PROMPTS"
    assert headers[h.SEQUENCE] == "42"
    assert headers[h.CONSUMER] == "generator-flux"
    assert headers[h.DELIVERIES] == "3"
    assert headers[h.TIME] == "2026-01-02T03:04:05+00:00"
    assert headers["Traceparent"] == "00-abc"  # the original's own headers travel along
    # Its dedupe id is the letter's own: the original's would collide with the original.
    assert headers["Nats-Msg-Id"] == "dlq:generator-flux:EASEL_PROMPTS:42"
    detail = headers[h.DETAIL]
    assert detail.startswith("caf???Injected: yes")  # no header injection through a detail
    assert len(detail) == 300
    assert all(" " <= c <= "~" for c in detail)


def test_a_version_1_event_without_the_requesters_tag_still_decodes() -> None:
    telegram = {"chat_id": 5, "user_id": 5, "status_message_id": 9}  # as version 1 wrote it
    event = DECODERS["enhancer"].validate_json(
        body(event_type="image.requested", schema_version=1, job=JOB | {"requester": telegram})
    )
    assert event.job.requester == TelegramRequester(**telegram)
    assert event.schema_version == 1


def test_an_api_requester_round_trips_and_an_unknown_kind_is_invalid() -> None:
    api = {"kind": "api", "key_name": "ci"}
    data = body(event_type="image.requested", job=JOB | {"requester": api})
    assert DECODERS["enhancer"].validate_json(data).job.requester == ApiRequester(key_name="ci")
    fax = body(event_type="image.requested", job=JOB | {"requester": {"kind": "fax"}})
    assert reason("enhancer", fax) is bus.Reason.INVALID
