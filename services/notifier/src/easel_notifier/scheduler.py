"""The outbox's decisions, pure: what to send next to Telegram, when, and what a reply means.

No I/O and no asyncio: the outbox drives it with an injected clock, hands it each call's
result, and executes what it returns. That keeps every pacing and coalescing rule
unit-testable without a network or real time.

Rules:
- two priorities: deliveries (photo, final edit, status delete) go before status edits;
- status edits are coalesced per message: the newest text replaces a pending one, text
  equal to what the message already shows is not sent, an update whose stage is lower
  than the message's stage is dropped (events arrive out of order), and a delivery for a
  message drops its pending edit;
- pacing: bot-wide, at most `max_calls_per_second` calls in any sliding window of one
  second, as Telegram counts them (so the notifier's share plus the gateway's never passes
  the bot's ~30/s, yet "📤 Sending…", the photo and the deletion may go out at once); per
  chat, at most `per_chat_burst` calls in any window of `per_chat_burst ×
  per_chat_interval` (about one a second, short bursts allowed, as
  Telegram allows), not counting deletions; and one call in flight per chat (which also
  keeps a chat's calls in order), except that a delivery marked `overtakes_edits` (a photo,
  a deletion) need not wait for a status edit in flight: the photo does not wait for the
  "📤 Sending…" it follows, and an edit landing after the deletion finds nothing to edit
  (an edit still waiting for the bot's budget when its message is finished with is
  `obsolete`, and is not sent);
- a 429 holds the chat for `retry_after`, and everything when several chats get one
  together (a global flood), then the same call is retried; network errors are retried
  with bounded exponential backoff.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum, StrEnum
from typing import Generic, TypeVar

from easel.telegram import Accepted, CallResult, CallWindow, Gone, Rejected, RetryAfter, Transient

P = TypeVar("P")
K = TypeVar("K")
V = TypeVar("V")
MessageKey = tuple[int, int]  # (chat_id, message_id)
# Float slack: a wakeup computed for "one token is back" must find that token there.
_EPSILON = 1e-9


class Stage(IntEnum):
    """How far a job's status message has come; it never goes back."""

    ENHANCING = 0
    QUEUED = 1
    GENERATING = 2
    SENDING = 3
    DONE = 4
    FAILED = 5

    @property
    def final(self) -> bool:
        return self >= Stage.DONE


class Priority(StrEnum):
    DELIVERY = "delivery"
    EDIT = "edit"


@dataclass(frozen=True)
class Pacing:
    max_calls_per_second: float = 20.0
    per_chat_interval: float = 1.0
    # "📤 Sending…", the photo and the status delete go out together instead of a second
    # apart each; the average stays at one call per interval.
    per_chat_burst: int = 3
    # Of a chat's burst, what a status edit leaves free: the photo's call, and the status
    # message the gateway sent, which the notifier does not see. A queue position or
    # "📤 Sending…" is worth less than the photo arriving three seconds sooner.
    per_chat_edit_reserve: int = 2
    network_attempts: int = 5
    backoff_initial: float = 0.5
    backoff_max: float = 8.0
    # This many distinct chats answered 429 within the window means the bot, not a chat,
    # is over its limit: hold every call.
    flood_chats: int = 3
    flood_window: float = 1.0


class Settlement(StrEnum):
    ACCEPTED = "accepted"
    GONE = "gone"
    REJECTED = "rejected"
    GAVE_UP = "gave_up"  # transient errors outlasted the retries
    SUPERSEDED = "superseded"  # an edit replaced by a newer text or a final stage
    WITHDRAWN = "withdrawn"  # the caller stopped waiting before the call was sent
    DECLINED = "declined"  # the caller's last check, as the call was leaving, stopped it


@dataclass(frozen=True)
class Settled:
    outcome: Settlement
    reason: str = ""
    file_id: str | None = None  # of a photo Telegram accepted


@dataclass(eq=False, slots=True)
class Call(Generic[P]):
    """One Telegram call: a status edit (`text`) or a delivery (`payload`)."""

    id: int
    priority: Priority
    chat_id: int
    message_id: int | None
    text: str = ""
    payload: P | None = None
    attempt: int = 1
    not_before: float = 0.0
    per_chat_limited: bool = True
    overtakes_edits: bool = False
    sent_at: float = 0.0

    @property
    def key(self) -> MessageKey | None:
        return None if self.message_id is None else (self.chat_id, self.message_id)


class _Lru(OrderedDict[K, V]):
    """Bounded memory of per-message state: old finished messages are forgotten first."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self._size = size

    def __setitem__(self, key: K, value: V) -> None:
        super().__setitem__(key, value)
        self.move_to_end(key)
        if len(self) > self._size:
            self.popitem(last=False)


class Scheduler(Generic[P]):
    def __init__(
        self,
        clock: Callable[[], float],
        pacing: Pacing | None = None,
        *,
        remember_messages: int = 20_000,
    ) -> None:
        self._clock = clock
        self._pacing = pacing or Pacing()
        self._window = CallWindow(int(self._pacing.max_calls_per_second + _EPSILON))
        # Status edits leave a quarter of the window to deliveries: under load a photo does
        # not wait behind "📤 Sending…" or a position, and those edits are then superseded.
        self._edit_limit = self._window.calls - self._window.calls // 4
        self._hold_all_until = 0.0
        self._chat_held_until: dict[int, float] = {}
        self._chat_sent: dict[int, deque[float]] = {}
        # Calls in flight per chat, and the chats with a delivery among them.
        self._in_flight: dict[int, int] = {}
        self._delivering: set[int] = set()
        self._recent_429: deque[tuple[float, int]] = deque()
        self._deliveries: deque[Call[P]] = deque()
        self._edits: OrderedDict[MessageKey, Call[P]] = OrderedDict()
        self._stages: _Lru[MessageKey, Stage] = _Lru(remember_messages)
        self._shown: _Lru[MessageKey, str] = _Lru(remember_messages)
        self._next_id = 0

    # -- submissions -------------------------------------------------------------------

    def edit(self, chat_id: int, message_id: int, text: str, stage: Stage) -> bool:
        """Queue a status edit; False when it is dropped (stale stage or nothing new)."""
        key = (chat_id, message_id)
        current = self._stages.get(key)
        if current is not None and (current.final or stage < current):
            return False
        self._stages[key] = stage
        if self._shown.get(key) == text:
            self._edits.pop(key, None)  # the message already reads the newest text
            return False
        if pending := self._edits.get(key):
            pending.text = text  # keeps its place in line, so busy messages do not starve
            return True
        self._edits[key] = Call(self._new_id(), Priority.EDIT, chat_id, message_id, text=text)
        return True

    def deliver(
        self,
        chat_id: int,
        payload: P,
        *,
        message_id: int | None = None,
        stage: Stage | None = None,
        per_chat_limited: bool = True,
        overtakes_edits: bool = False,
    ) -> Call[P]:
        """Queue a delivery; if it concerns a message, its pending edit is obsolete."""
        call = Call(
            self._new_id(),
            Priority.DELIVERY,
            chat_id,
            message_id,
            payload=payload,
            per_chat_limited=per_chat_limited,
            overtakes_edits=overtakes_edits,
        )
        if call.key is not None:
            self._edits.pop(call.key, None)
            if stage is not None:
                self._stages[call.key] = max(stage, self._stages.get(call.key, stage))
        self._deliveries.append(call)
        return call

    def withdraw(self, call: Call[P]) -> bool:
        """Forget a delivery nobody waits for any more; False if it is already in flight."""
        try:
            self._deliveries.remove(call)
        except ValueError:
            return False
        return True

    # -- dispatch ----------------------------------------------------------------------

    def next_call(self) -> Call[P] | None:
        """The call to send now, if pacing allows one; it counts as in flight."""
        now = self._clock()
        if now < self._hold_all_until:
            return None
        used = self._window.used(now)
        call = self._take_delivery(now) if used < self._window.calls else None
        if call is None and used < self._edit_limit:
            call = self._take_edit(now)
        if call is None:
            return None
        self._window.sent()
        self._in_flight[call.chat_id] = self._in_flight.get(call.chat_id, 0) + 1
        if call.priority is Priority.DELIVERY:
            self._delivering.add(call.chat_id)
        if call.per_chat_limited:
            sent = self._chat_sent.setdefault(
                call.chat_id, deque(maxlen=self._pacing.per_chat_burst)
            )
            sent.append(now)
            call.sent_at = now
        if call.priority is Priority.EDIT and call.key is not None:
            self._shown[call.key] = call.text
        return call

    def next_wakeup(self) -> float | None:
        """When a pending call may become sendable; None if only a completion can help."""
        now = self._clock()
        wakeups = []
        for calls, limit in (
            (self._deliveries, self._window.calls),
            (self._edits.values(), self._edit_limit),
        ):
            ready = [self._ready_at(c) for c in calls if self._free(c)]
            window = self._window.free_at(now, limit)
            if ready and window is not None:
                wakeups.append(max(min(ready), window))
        return max(min(wakeups), self._hold_all_until) if wakeups else None

    def obsolete(self, call: Call[P]) -> bool:
        """A status edit whose message a delivery has since finished with: taken to send, it
        waited for the bot's budget while the photo overtook it."""
        stage = self._stages.get(call.key) if call.key is not None else None
        return call.priority is Priority.EDIT and stage is not None and stage.final

    def pending(self, priority: Priority) -> int:
        return len(self._deliveries) if priority is Priority.DELIVERY else len(self._edits)

    # -- results -----------------------------------------------------------------------

    def complete(self, call: Call[P], result: CallResult) -> Settled | None:
        """Apply a call's result; None means it was queued again and will be retried."""
        now = self._clock()
        self._window.answered(now)
        self._landed(call)
        self._prune_chats(now)
        match result:
            case Accepted(file_id=file_id):
                return Settled(Settlement.ACCEPTED, file_id=file_id)
            case Gone():
                if call.key is not None:
                    self._stages[call.key] = Stage.DONE
                    self._edits.pop(call.key, None)
                    self._shown.pop(call.key, None)
                return Settled(Settlement.GONE)
            case Rejected(reason=reason):
                self._forget_shown(call)
                return Settled(Settlement.REJECTED, reason)
            case RetryAfter(seconds=seconds):
                self._uncount(call)  # Telegram counts only the calls it carried out
                self._hold_chat(call.chat_id, now, seconds)
                return self._requeue(call)
            case Transient(reason=reason):
                if call.attempt >= self._pacing.network_attempts:
                    self._forget_shown(call)
                    return Settled(Settlement.GAVE_UP, reason)
                call.not_before = now + self._backoff(call.attempt)
                call.attempt += 1
                return self._requeue(call)

    def unsent(self, call: Call[P], settled: Settled) -> Settled:
        """A call taken to send that its caller stopped at the last moment: it used none of
        Telegram's budget, and it settles as the caller said."""
        self._window.unsent()
        self._landed(call)
        self._uncount(call)
        return settled

    # -- internals ---------------------------------------------------------------------

    def _landed(self, call: Call[P]) -> None:
        """The call is no longer in flight."""
        if (left := self._in_flight.pop(call.chat_id, 1) - 1) > 0:
            self._in_flight[call.chat_id] = left
        if call.priority is Priority.DELIVERY:
            self._delivering.discard(call.chat_id)

    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    @property
    def _chat_window(self) -> float:
        return self._pacing.per_chat_burst * self._pacing.per_chat_interval

    def _ready_at(self, call: Call[P]) -> float:
        at = max(call.not_before, self._chat_held_until.get(call.chat_id, 0.0))
        sent = self._chat_sent.get(call.chat_id)
        if not (call.per_chat_limited and sent):
            return at
        need = 1 if call.priority is Priority.DELIVERY else 1 + self._pacing.per_chat_edit_reserve
        may_remain = max(0, self._pacing.per_chat_burst - need)  # calls left in the window
        if len(sent) > may_remain:
            # Ready once enough of the oldest have aged out of the window.
            at = max(at, sent[len(sent) - may_remain - 1] + self._chat_window)
        return at

    def _free(self, call: Call[P]) -> bool:
        """Nothing in flight in the call's chat stops it (pacing aside)."""
        if call.overtakes_edits:
            return call.chat_id not in self._delivering
        return call.chat_id not in self._in_flight

    def _sendable(self, call: Call[P], now: float) -> bool:
        return self._free(call) and self._ready_at(call) <= now + _EPSILON

    def _pending(self) -> list[Call[P]]:
        return [*self._deliveries, *self._edits.values()]

    def _take_delivery(self, now: float) -> Call[P] | None:
        for call in self._deliveries:
            if self._sendable(call, now):
                self._deliveries.remove(call)
                return call
        return None

    def _take_edit(self, now: float) -> Call[P] | None:
        for key, call in self._edits.items():
            if self._sendable(call, now):
                del self._edits[key]
                return call
        return None

    def _hold_chat(self, chat_id: int, now: float, seconds: float) -> None:
        until = now + seconds
        self._chat_held_until[chat_id] = max(until, self._chat_held_until.get(chat_id, 0.0))
        self._recent_429.append((now, chat_id))
        while self._recent_429 and self._recent_429[0][0] < now - self._pacing.flood_window:
            self._recent_429.popleft()
        if len({chat for _, chat in self._recent_429}) >= self._pacing.flood_chats:
            self._hold_all_until = max(self._hold_all_until, until)

    def _requeue(self, call: Call[P]) -> Settled | None:
        if call.priority is Priority.DELIVERY:
            self._deliveries.appendleft(call)  # first in line again: it was first before
            return None
        key = call.key
        assert key is not None
        self._shown.pop(key, None)
        stage = self._stages.get(key)
        if key in self._edits or (stage is not None and stage.final):
            return Settled(Settlement.SUPERSEDED)
        self._edits[key] = call
        self._edits.move_to_end(key, last=False)
        return None

    def _uncount(self, call: Call[P]) -> None:
        sent = self._chat_sent.get(call.chat_id)
        if call.per_chat_limited and sent and call.sent_at in sent:
            sent.remove(call.sent_at)

    def _forget_shown(self, call: Call[P]) -> None:
        if call.priority is Priority.EDIT and call.key is not None:
            self._shown.pop(call.key, None)

    def _backoff(self, attempt: int) -> float:
        initial, cap = self._pacing.backoff_initial, self._pacing.backoff_max
        return float(min(initial * 2 ** (attempt - 1), cap))

    def _prune_chats(self, now: float) -> None:
        # Chats whose window and hold have passed need no entry; keeps the maps as small as
        # the set of recently active chats.
        if len(self._chat_sent) > 4096:
            since = now - self._chat_window
            self._chat_sent = {c: t for c, t in self._chat_sent.items() if t[-1] > since}
        if len(self._chat_held_until) > 4096:
            self._chat_held_until = {c: t for c, t in self._chat_held_until.items() if t > now}
