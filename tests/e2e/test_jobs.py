"""The user's control over a job, through the four services as processes: a job cancelled
at its backend is abandoned there and its slot goes to the next job at once; no photo
follows "Cancelled"; the job view ends it as cancelled."""

from __future__ import annotations

import pytest

from easel_devtools.harness import EaselSystem
from easel_devtools.standins import Behaviour, ChatMessage

pytestmark = pytest.mark.e2e


def status_message(system: EaselSystem, chat: int) -> ChatMessage:
    return next(m for m in system.telegram.messages(chat) if m.from_bot and m.photo is None)


def test_a_job_cancelled_at_its_backend_frees_the_slot_at_once(system: EaselSystem) -> None:
    first, second = 9101, 9102
    system.flux.capacity = 2  # the abandoned request keeps the worker busy; room for the next
    system.flux.script([Behaviour(delay=60)])  # the first job renders for a minute
    try:
        system.telegram.send_user_message(first, "/image=flux=a slow first heron")
        system.flux.wait_for(
            lambda: any("slow first heron" in (j.prompt or "") for j in system.flux.jobs),
            timeout=30,
        )
        system.telegram.send_user_message(second, "/image=flux=a quick second heron")
        system.telegram.wait_for(
            lambda: (
                status_message(system, first).buttons
                and "Generating" in (status_message(system, first).text or "")
            ),
            timeout=30,
        )
        status = status_message(system, first)
        [(_, data)] = status.buttons
        assert data is not None
        press = system.telegram.press_button(first, status.message_id, data)
        # The second job reaches the worker long before the first could have finished.
        system.flux.wait_for(
            lambda: any("quick second heron" in (j.prompt or "") for j in system.flux.jobs),
            timeout=20,
        )
        system.telegram.wait_for(lambda: len(system.telegram.photos(second)) == 1, timeout=30)
        system.telegram.wait_for(
            lambda: (status_message(system, first).text or "").startswith("✖ Cancelled"),
            timeout=10,
        )
    finally:
        system.flux.capacity = 1
    [answer] = system.telegram.callback_answers(press.callback_query_id)
    assert answer.text == "Cancelled."
    assert system.telegram.photos(first) == []
    assert status_message(system, first).buttons == []
