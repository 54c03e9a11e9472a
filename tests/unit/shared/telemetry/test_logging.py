"""A retried call is logged by what it is and why, never by what it was called with (an
event or a job record carries the user's prompt)."""

from __future__ import annotations

import json
import logging

import pytest
import stamina

from easel.telemetry import configure_logging

PROMPT = "a very private prompt"


@stamina.retry(on=ConnectionError, attempts=2, wait_initial=0.0, wait_max=0.0)
def flaky(prompt: str, calls: list[str]) -> None:
    calls.append(prompt)
    if len(calls) == 1:
        raise ConnectionError("reset")


def test_a_retry_is_logged_without_its_arguments(capsys: pytest.CaptureFixture[str]) -> None:
    stamina.set_testing(False)
    configure_logging("test", fmt="json")
    try:
        calls: list[str] = []
        flaky(PROMPT, calls)
        assert calls == [PROMPT, PROMPT]
        lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
        [line] = [line for line in lines if line["event"] == "stamina.retry_scheduled"]
        assert line["callable"].endswith("flaky")
        assert line["caused_by"] == "ConnectionError('reset')"
        assert PROMPT not in json.dumps(lines)
    finally:
        logging.getLogger().handlers.clear()
