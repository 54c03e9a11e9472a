"""The users, and Telegram's webhook delivery to the gateway.

Each user writes their messages at the planned times (one chat each). In webhook mode
Telegram POSTs each update to the webhook with the secret token and tries again until it
gets a 200: after a refused connection (the gateway is down), a dropped one (it died
mid-request), a timeout or an error status. A chat's messages go one at a time, in order.
In polling mode the update waits in the Bot API stand-in until the gateway fetches it.

A user who cancels presses "✖ Cancel" on the request's status message at the planned time,
if it shows the button then; if the button is gone by then (delivered, failed, sending),
the press is one on a view their client had not updated yet, which Telegram delivers too.
A press goes beside the chat's messages (the gateway answers it with no new message, so
the judge's attribution of messages to requests stands).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

import aiohttp

from easel.telegram import Action
from easel_devtools.chaos.outcomes import Press, PressKind, Sent
from easel_devtools.chaos.plan import WEBHOOK_SECRET, Request
from easel_devtools.standins import BotApiStandin, CallbackPress, Update

POST_TIMEOUT = 30.0  # a handler waits at most CLAIM_STALE_SECONDS for a claim, then answers
FIRST_RETRY = 0.25
LAST_RETRY = 2.0


class Users:
    def __init__(self, telegram: BotApiStandin, webhook_url: str | None, patience: float) -> None:
        self._telegram = telegram
        self._url = webhook_url
        self._patience = patience  # seconds of retrying one update before giving up
        self.posts = 0
        self.refused = 0  # POSTs that got no 200 (connection refused or dropped, timeout, 5xx)
        self.presses: list[Press] = []

    async def run(self, requests: Sequence[Request]) -> list[Sent]:
        """Send every request at its time (from now); returns them once all are answered."""
        chats: dict[int, list[Request]] = {}
        for request in sorted(requests, key=lambda r: r.at):
            chats.setdefault(request.chat, []).append(request)
        start = time.monotonic()
        timeout = aiohttp.ClientTimeout(total=POST_TIMEOUT)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            per_chat = await asyncio.gather(
                *(self._chat(session, start, queue) for queue in chats.values())
            )
        return [sent for chat in per_chat for sent in chat]

    async def _chat(
        self, session: aiohttp.ClientSession, start: float, requests: list[Request]
    ) -> list[Sent]:
        done, cancels = [], []
        for request in requests:
            # The arrival time is the experiment's input, not a synchronisation.
            await asyncio.sleep(max(0.0, start + request.at - time.monotonic()))
            update = self._telegram.send_user_message(request.chat, request.text)
            first = time.monotonic()
            posts, answered = await self._deliver(session, update)
            done.append(Sent(request, update.message_id, first, answered, posts))
            if request.cancel_after is not None:
                at = first + request.cancel_after
                cancels.append(self._cancel(session, request, update.message_id, at))
        await asyncio.gather(*cancels)
        return done

    async def _cancel(
        self, session: aiohttp.ClientSession, request: Request, message_id: int, at: float
    ) -> None:
        await asyncio.sleep(max(0.0, at - time.monotonic()))  # the planned moment
        pressed = self._press(request.chat, message_id)
        if pressed is None:
            self.presses.append(Press(request.tag, PressKind.NONE, None))
            return
        press, kind = pressed
        _, answered = await self._deliver(session, press)
        self.presses.append(Press(request.tag, kind, answered))

    def _press(self, chat: int, message_id: int) -> tuple[CallbackPress, PressKind] | None:
        """The press on the request's status (the bot's first text after the user's
        message), as the user's client shows it; None if it never showed "✖ Cancel"."""
        # (Photos of earlier requests may come in between.)
        texts = [
            m for m in self._telegram.messages(chat) if m.message_id > message_id and not m.photo
        ]
        status = texts[0] if texts and texts[0].from_bot else None
        if status is None:
            return None
        data = f"{Action.CANCEL.value}:tg_{chat}_{message_id}"
        try:
            return self._telegram.press_button(chat, status.message_id, data), PressKind.BUTTON
        except ValueError:
            pass
        try:
            press = self._telegram.press_button(chat, status.message_id, data, stale=True)
        except ValueError:
            return None
        return press, PressKind.OLD_VIEW

    async def _deliver(
        self, session: aiohttp.ClientSession, update: Update | CallbackPress
    ) -> tuple[int, float | None]:
        """POSTs made, and when the 200 came (None: not within the users' patience)."""
        if self._url is None:
            return 0, time.monotonic()  # polling: queued for getUpdates, nothing to POST
        headers = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
        give_up = time.monotonic() + self._patience
        wait, posts = FIRST_RETRY, 0
        while True:
            posts += 1
            self.posts += 1
            try:
                async with session.post(
                    self._url, json=update.to_json(), headers=headers
                ) as answer:
                    await answer.read()
                    if answer.status == 200:
                        return posts, time.monotonic()
            except (aiohttp.ClientError, TimeoutError):
                pass
            self.refused += 1
            if time.monotonic() + wait > give_up:
                return posts, None
            await asyncio.sleep(wait)  # Telegram's retry pacing
            wait = min(wait * 2, LAST_RETRY)
