"""The chaos run's judges can see what they must: a lost request, two photos, a photo and
an error, a photo after "Cancelled", a cancel nobody pressed for, a stray status message, a
wrong error for what the worker answered."""

from __future__ import annotations

import pytest

from easel.events import ErrorCode
from easel_devtools.chaos.backends import expected_endings
from easel_devtools.chaos.outcomes import Press, PressKind, Sent, Vocabulary, judge_chat
from easel_devtools.chaos.plan import Request
from easel_devtools.standins import ChatMessage
from easel_gateway.catalog import ENGLISH
from easel_gateway.telegram import texts as gateway_texts
from easel_notifier import texts as notifier_texts

CHAT = 5
VOCABULARY = Vocabulary(["FLUX"])
ENHANCING = "🎨 Enhancing prompt…"
EN = notifier_texts.texts_for("en")
FAILED = notifier_texts.failure(EN, "FLUX", ErrorCode.TIMEOUT)
CANCELLED = notifier_texts.cancelled(EN, "FLUX")


def sent(number: int, message_id: int) -> Sent:
    return Sent(Request(CHAT, number, "flux", 0.0), message_id, 0.0, 0.1, 1)


def user(message_id: int) -> ChatMessage:
    return message(message_id, text="/image=flux=…", from_bot=False)


def message(
    message_id: int,
    *,
    text: str | None = None,
    photo_of: int | None = None,
    deleted: bool = False,
    from_bot: bool = True,
) -> ChatMessage:
    caption = (
        None if photo_of is None else f"🎨 Image\n\nEnhanced prompt:\nchaos-{CHAT}-{photo_of} a"
    )
    return ChatMessage(
        chat_id=CHAT,
        message_id=message_id,
        from_bot=from_bot,
        text=text,
        caption=caption,
        photo=None if photo_of is None else b"png",
        deleted=deleted,
        edits=[],
        created_at=float(message_id),
        deleted_at=None,
    )


def verdicts(*messages: ChatMessage) -> list[str]:
    requests = [sent(0, 1), sent(1, 3)]
    return [s.verdict for s in judge_chat(requests, messages, VOCABULARY)]


def test_one_ending_each() -> None:
    # Request 0 got its photo (status deleted), request 1 a final error in its status.
    chat = [user(1), message(2, text=ENHANCING, deleted=True), user(3), message(4, text=FAILED)]
    assert verdicts(*chat, message(5, photo_of=0)) == ["photo", "error"]


def test_a_status_still_in_progress_is_lost() -> None:
    chat = [user(1), message(2, text=ENHANCING, deleted=True), message(4, photo_of=0)]
    assert verdicts(*chat, user(3), message(5, text="🖼️ Generating with FLUX…")) == [
        "photo",
        "lost",
    ]


@pytest.mark.parametrize(
    "extra",
    [
        [message(6, photo_of=1), message(7, photo_of=1)],  # two photos
        [message(6, text=FAILED), message(7, photo_of=1)],  # a photo and an error
        [message(6, text=FAILED), message(7, text=ENGLISH("queue-failed"))],  # two errors
    ],
)
def test_two_endings_are_duplicated(extra: list[ChatMessage]) -> None:
    chat = [user(1), message(2, photo_of=0), user(3)]
    assert verdicts(*chat, *extra) == ["photo", "duplicated"]


def test_a_cancel_is_its_own_ending_and_a_photo_after_it_a_second_one() -> None:
    chat = [user(1), message(2, text=CANCELLED), user(3), message(4, text=CANCELLED)]
    assert verdicts(*chat) == ["cancelled", "cancelled"]
    assert verdicts(*chat, message(5, photo_of=0)) == ["duplicated", "cancelled"]


@pytest.mark.parametrize(
    ("press", "unasked"),
    [
        (Press("chaos-5-0", PressKind.BUTTON, 1.0), False),
        (Press("chaos-5-0", PressKind.OLD_VIEW, 1.0), False),
        (Press("chaos-5-0", PressKind.BUTTON, None), True),  # the webhook never took it
        (Press("chaos-5-0", PressKind.NONE, None), True),
        (None, True),
    ],
)
def test_a_cancel_needs_a_press_that_got_through(press: Press | None, unasked: bool) -> None:
    presses = {press.tag: press} if press else {}
    chat = [user(1), message(2, text=CANCELLED)]
    [seen] = judge_chat([sent(0, 1)], chat, VOCABULARY, presses)
    assert (seen.verdict, seen.unasked_cancel) == ("cancelled", unasked)


def test_a_status_left_beside_the_photo_is_stray() -> None:
    chat = [user(1), message(2, text=ENHANCING), message(3, text=ENHANCING, deleted=True)]
    [seen] = judge_chat([sent(0, 1)], [*chat, message(4, photo_of=0)], VOCABULARY)
    assert (seen.verdict, seen.stray_status, seen.status_messages) == ("photo", True, 2)


def test_a_rate_limit_reply_is_a_rejection() -> None:
    slow_down = gateway_texts.rate_limited(ENGLISH, 10, 60, 5)
    assert verdicts(user(1), message(2, text=slow_down), user(3), message(4, photo_of=1)) == [
        "rejected",
        "photo",
    ]


@pytest.mark.parametrize(
    ("hits", "allowed"),
    [
        (["5xx", "ok"], {"photo"}),
        (["5xx", "html"], {"failed:invalid_image"}),
        (["5xx", "hang", "5xx", "5xx"], {"failed:backend_unavailable"}),
        (["5xx", "5xx", "5xx", "hang"], {"failed:timeout"}),
        (["5xx", "5xx"], {"failed:backend_unavailable"}),  # the circuit held it to its deadline
        ([], {"failed:timeout", "failed:backend_unavailable"}),
    ],
)
def test_the_right_error_follows_from_the_workers_answers(
    hits: list[str], allowed: set[str]
) -> None:
    assert expected_endings(hits) == allowed
