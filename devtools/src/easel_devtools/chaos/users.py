"""The users, and Telegram's webhook delivery to the gateway.

Each user writes their messages at the planned times (one chat each). Telegram POSTs each
update to the webhook with the secret token and tries again until it gets a 200: after a
refused connection (the gateway is down), a dropped one (it died mid-request), a timeout
or an error status. A chat's updates go one at a time, in order.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

import aiohttp

from easel_devtools.chaos.outcomes import Sent
from easel_devtools.chaos.plan import WEBHOOK_SECRET, Request
from easel_devtools.standins import BotApiStandin, Update

POST_TIMEOUT = 30.0  # a handler waits at most CLAIM_STALE_SECONDS for a claim, then answers
FIRST_RETRY = 0.25
LAST_RETRY = 2.0


class Users:
    def __init__(self, telegram: BotApiStandin, webhook_url: str, patience: float) -> None:
        self._telegram = telegram
        self._url = webhook_url
        self._patience = patience  # seconds of retrying one update before giving up
        self.posts = 0
        self.refused = 0  # POSTs that got no 200 (connection refused or dropped, timeout, 5xx)

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
        done = []
        for request in requests:
            # The arrival time is the experiment's input, not a synchronisation.
            await asyncio.sleep(max(0.0, start + request.at - time.monotonic()))
            update = self._telegram.send_user_message(request.chat, request.text)
            first = time.monotonic()
            posts, answered = await self._deliver(session, update)
            done.append(Sent(request, update.message_id, first, answered, posts))
        return done

    async def _deliver(
        self, session: aiohttp.ClientSession, update: Update
    ) -> tuple[int, float | None]:
        """POSTs made, and when the 200 came (None: not within the users' patience)."""
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
