"""The bot's Bot API budget, one for all replicas, counted in NATS with JetStream counters.

Telegram allows a bot about 30 calls a second and a chat about one a second (bursts of 3),
whichever replica makes the call. So a call first adds 1 to the bot's counter, and to its
chat's for the calls Telegram paces per chat. It goes if the new values are within the
limits. Otherwise it gives its count back, and reads the counter until it shows room. A
call that went gives its count back a window after its answer, so a counter holds the
calls of the last window, as Telegram's sliding windows do.

- Deliveries (photos, final texts, deletions) may use the whole budget. A user's answer
  may too, unless a delivery is waiting: then it leaves a quarter to deliveries. Status
  edits always leave that quarter: under load they wait, and are replaced by newer texts
  rather than spend the budget.
- Counters are per minute (`…<epoch>`). A replica killed before it gave its calls back
  shrinks the budget for a minute at most. In the first seconds of a minute, the previous
  minute's calls still count.
- When NATS does not answer, calls go with only their process's own pacing: a lost
  budget must not stop the bot.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum

import structlog
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from nats.errors import Error as NatsError

from easel import bus
from easel.telemetry.metrics import TELEGRAM_BUDGET_REFUSALS, TELEGRAM_BUDGET_UNAVAILABLE

log = structlog.get_logger("easel.telegram")

BOT_WINDOW = 1.0
CHAT_BURST = 3  # calls to one chat in any CHAT_WINDOW
CHAT_WINDOW = 3.0
# The methods Telegram paces per chat: they put something in front of its users.
CHAT_PACED = frozenset({"sendMessage", "sendPhoto", "editMessageText", "editMessageReplyMarkup"})
EPOCH_SECONDS = 60
_TIMEOUT = 1.0  # a budget slower than this is down; calls go on their own pacing
_CHAT_POLL = 0.25  # a chat's window frees a call at a time, seconds apart
_INCR = "Nats-Incr"


def counter(bot_id: int, epoch: int | str, chat_id: int | None = None) -> str:
    base = f"{bus.TELEGRAM_BUDGET_PREFIX}.{bot_id}.{epoch}"
    return base if chat_id is None else f"{base}.chat.{chat_id}"


def others_share(calls: int) -> int:
    """What calls other than deliveries may use of `calls`: three quarters, at least one."""
    return max(1, calls - calls // 4)


class BudgetUnavailable(Exception):
    """NATS did not answer, or the budget's stream is missing."""


@dataclass
class Taken:
    """A call's place in the budget: give it back once its answer is in."""

    _budget: Budget | None
    _subjects: list[tuple[str, float]] = field(default_factory=list)  # and their windows

    def give_back(self, *, counted: bool) -> None:
        """`counted`: Telegram may have counted the call (it did not for a 429, or a call
        that never left), so its count stays for its window."""
        if self._budget is None:
            return
        budget, self._budget = self._budget, None
        for subject, window in self._subjects:
            budget.release(subject, window if counted else 0.0)


class Lane(Enum):
    """Whose turn comes first when the budget is short."""

    DELIVERY = "delivery"  # photos, final texts, deletions: the whole budget
    REPLY = "reply"  # a user's answer: the whole budget while no delivery waits
    STATUS = "status"  # status edits: only what leaves deliveries a quarter


class Budget:
    def __init__(
        self,
        nc: Client,
        bot_id: int,
        calls_per_second: int,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._nc = nc
        self._bot_id = bot_id
        self.calls = calls_per_second
        self._clock = clock
        # One waiter per lane polls the bot's counter; the others queue here, in order.
        self._lanes = {lane: asyncio.Lock() for lane in Lane}
        self._giving: set[asyncio.Task[None]] = set()  # the loop holds tasks weakly
        self._available = True
        # Set when any replica gives a bot call back: a waiting call asks again at once
        # rather than at its next poll (a second holds only 30 calls; each ms idle counts).
        self._released = asyncio.Event()
        self._listening: Subscription | None = None

    async def take(self, chat_id: int | None, lane: Lane, *, chat_calls: int = CHAT_BURST) -> Taken:
        """Wait until the bot's budget (and `chat_id`'s, if given) has room for one call.

        `chat_calls`: how many of the chat's CHAT_BURST this call may be the last of; a
        status edit leaves one to the photo behind it."""
        taken = Taken(self)
        try:
            if chat_id is not None:
                await self._room(taken, lane, chat_id, chat_calls)
            async with self._lanes[lane]:
                await self._room(taken, lane, None, chat_calls)
        except BudgetUnavailable:
            TELEGRAM_BUDGET_UNAVAILABLE.inc()
            taken.give_back(counted=False)
            return Taken(None)
        except BaseException:
            taken.give_back(counted=False)
            raise
        self._state(available=True)
        return taken

    def release(self, subject: str, after: float) -> None:
        if after <= 0:
            self._spawn(subject, -1)
            return
        asyncio.get_running_loop().call_later(after, self._spawn, subject, -1)

    async def _room(self, taken: Taken, lane: Lane, chat_id: int | None, chat_calls: int) -> None:
        """Counts the call in the bot's counter (chat_id None) or the chat's, once in limit.

        The first try counts at once. A refused call then only reads the counter until it
        shows room: a count taken and given back would refuse other replicas meanwhile."""
        bot = chat_id is None
        window, poll = (BOT_WINDOW, 1 / self.calls) if bot else (CHAT_WINDOW, _CHAT_POLL)
        taking = True
        while True:
            now = self._clock()
            counting = self._count(chat_id, window, 1 if taking else 0)
            if bot and lane is Lane.REPLY:
                (subject, used), waiting = await asyncio.gather(counting, self._waiting(now))
            else:
                (subject, used), waiting = await counting, lane is Lane.STATUS
            limit = chat_calls if not bot else others_share(self.calls) if waiting else self.calls
            if taking and used <= limit:
                taken._subjects.append((subject, window))
                return
            if taking:
                self._spawn(subject, -1)
                TELEGRAM_BUDGET_REFUSALS.labels(lane.value, "bot" if bot else "chat").inc()
            elif used < limit:
                taking = True
                continue
            taking = False
            if bot and lane is Lane.DELIVERY:
                self._spawn(self._waiting_subject(int(now * 10)), 1)
            await self._until_released(bot, poll * random.uniform(0.5, 1.5))  # spreads pollers

    async def _until_released(self, bot: bool, seconds: float) -> None:
        """Until a replica gives a bot call back (bot counters only), or `seconds` pass."""
        if not bot:
            await asyncio.sleep(seconds)
            return
        if self._listening is None:
            self._listening = await self._nc.subscribe(
                counter(self._bot_id, "*"),
                cb=self._on_counted,
            )
        released = self._released
        with contextlib.suppress(TimeoutError):  # not wait_for: it can eat a cancel
            async with asyncio.timeout(seconds):
                await released.wait()

    async def _on_counted(self, msg: Msg) -> None:
        if (msg.headers or {}).get(_INCR, "").startswith("-"):
            # Every waiter of this release wakes; later ones wait for the next.
            self._released.set()
            self._released = asyncio.Event()

    async def _count(self, chat_id: int | None, window: float, n: int) -> tuple[str, int]:
        """Adds `n` (1, or 0 to read); the subject counted, and the calls in the window."""
        now = self._clock()
        epoch = int(now // EPOCH_SECONDS)
        subject = counter(self._bot_id, epoch, chat_id)
        if now - epoch * EPOCH_SECONDS >= window + 1.0:
            return subject, await self._add(subject, n)
        # The previous minute's last calls are still in the window.
        previous = counter(self._bot_id, epoch - 1, chat_id)
        used, before = await asyncio.gather(self._add(subject, n), self._add(previous, 0))
        return subject, used + before

    async def _waiting(self, now: float) -> bool:
        """Whether a delivery is waiting: one was refused in this tenth of a second or the
        last (a waiting delivery asks again several times a tenth)."""
        tenth = int(now * 10)
        counts = await asyncio.gather(
            *(self._add(self._waiting_subject(t), 0) for t in (tenth, tenth - 1))
        )
        return any(counts)

    def _waiting_subject(self, tenth: int) -> str:
        return f"{bus.TELEGRAM_BUDGET_PREFIX}.{self._bot_id}.waiting.{tenth}"

    async def _add(self, subject: str, n: int) -> int:
        try:
            reply = await self._nc.request(
                subject, b"", timeout=_TIMEOUT, headers={_INCR: f"{n:+d}"}
            )
            return int(json.loads(reply.data)["val"])
        except (NatsError, TimeoutError, KeyError, ValueError) as error:
            self._state(available=False, error=type(error).__name__)
            raise BudgetUnavailable from error

    def _spawn(self, subject: str, n: int) -> None:
        """A plain publish, stored by the stream; nobody waits for it."""
        task = asyncio.get_running_loop().create_task(self._publish(subject, n))
        self._giving.add(task)
        task.add_done_callback(self._giving.discard)

    async def _publish(self, subject: str, n: int) -> None:
        try:
            await self._nc.publish(subject, b"", headers={_INCR: f"{n:+d}"})
        except NatsError as error:
            self._state(available=False, error=type(error).__name__)

    def _state(self, *, available: bool, error: str = "") -> None:
        if available == self._available:
            return
        self._available = available
        if available:
            log.info("telegram.budget_available")
        else:
            log.warning("telegram.budget_unavailable", error=error)
