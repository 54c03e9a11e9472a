"""The one way out to Telegram: every call is queued here, paced, coalesced and retried.

The decisions live in `Scheduler` (pure); this module runs them: it asks for the next
sendable call, executes it as a task, reports the result back and wakes the waiting
caller of a delivery. Status edits are fire-and-forget; deliveries are awaited, so the
consumer acks only once Telegram has accepted them. Before a call leaves, it takes its
place in the bot's budget, which every replica of the gateway and the notifier shares. A
delivery may carry a gate: asked once, as the call leaves (the budgets allow it at last),
it may stop the call.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

import structlog

from easel.telegram import CHAT_BURST, Budget, Lane, RetryAfter, Taken
from easel_notifier import metrics
from easel_notifier.bot_calls import DeleteMessage, EditText, Request, TelegramClient
from easel_notifier.scheduler import Call, Pacing, Priority, Scheduler, Settled, Settlement, Stage

log = structlog.get_logger("easel.notifier")
# None: send it; a Settled: do not, and settle the delivery so.
Gate = Callable[[], Awaitable[Settled | None]]
_REMEMBER_JOBS = 20_000  # status messages whose job is remembered for logging


class Outbox:
    def __init__(self, telegram: TelegramClient, pacing: Pacing, budget: Budget | None) -> None:
        self._telegram = telegram
        self._budget = budget
        self._scheduler: Scheduler[Request] = Scheduler(time.monotonic, pacing)
        self._waiters: dict[int, asyncio.Future[Settled]] = {}
        self._gates: dict[int, Gate] = {}
        self._in_flight: set[asyncio.Task[None]] = set()
        self._wake = asyncio.Event()
        # Calls run in the outbox's own tasks: the job each status message belongs to
        # (job_id, model) is kept, so what its calls log can be found by job id.
        self._jobs: OrderedDict[tuple[int, int], dict[str, Any]] = OrderedDict()
        # Of those messages, the ones whose text carries "✖ Cancel": its label.
        self._cancellable: dict[tuple[int, int], str] = {}

    def edit(
        self,
        chat_id: int,
        message_id: int,
        text: str,
        stage: Stage,
        *,
        cancel: str | None = None,
    ) -> None:
        """Show `text` in a status message, eventually; newer texts replace older ones.
        A cancellable stage's text carries the job's "✖ Cancel" button, labelled `cancel`
        in the user's language; any other, none."""
        self._remember_job(chat_id, message_id)
        if cancel is not None:
            self._cancellable[(chat_id, message_id)] = cancel
        else:
            self._cancellable.pop((chat_id, message_id), None)
        if self._scheduler.edit(chat_id, message_id, text, stage):
            self._wake.set()

    async def deliver(
        self,
        request: Request,
        *,
        message_id: int | None = None,
        stage: Stage | None = None,
        gate: Gate | None = None,
    ) -> Settled:
        """Send `request` and wait for its final result (retries included).

        `message_id`/`stage` name the status message it concerns: its pending edit is
        dropped and later edits of a lower stage are ignored. `gate` is asked before the
        first attempt leaves.
        """
        if message_id is not None:
            self._remember_job(request.chat_id, message_id)
        call = self._scheduler.deliver(
            request.chat_id,
            request,
            message_id=message_id,
            stage=stage,
            # Deleting a message sends nothing to the chat; Telegram's per-chat limit is
            # about messages sent.
            per_chat_limited=not isinstance(request, DeleteMessage),
            # A final text must land after any status edit, or that edit could replace it.
            overtakes_edits=not isinstance(request, EditText),
        )
        waiter: asyncio.Future[Settled] = asyncio.get_running_loop().create_future()
        self._waiters[call.id] = waiter
        if gate is not None:
            self._gates[call.id] = gate
        self._wake.set()
        try:
            return await waiter
        except asyncio.CancelledError:
            # Not yet sent: nobody wants it any more (e.g. shutdown; the event is nak'ed
            # and comes back). Already in flight: it completes, and nobody listens.
            if self._scheduler.withdraw(call):
                log.info("notifier.delivery_withdrawn", chat_id=request.chat_id)
            raise
        finally:
            self._waiters.pop(call.id, None)
            self._gates.pop(call.id, None)

    async def run(self) -> None:
        """Send until cancelled; then in-flight calls are cancelled and waiters released."""
        try:
            while True:
                self._wake.clear()
                while (call := self._scheduler.next_call()) is not None:
                    task = asyncio.create_task(self._execute(call))
                    self._in_flight.add(task)
                    task.add_done_callback(self._in_flight.discard)
                self._report_pending()
                wakeup = self._scheduler.next_wakeup()
                timeout = None if wakeup is None else max(0.0, wakeup - time.monotonic())
                with contextlib.suppress(TimeoutError):  # not wait_for: it can eat a cancel
                    async with asyncio.timeout(timeout):
                        await self._wake.wait()
        finally:
            for task in list(self._in_flight):
                task.cancel()
            await asyncio.gather(*self._in_flight, return_exceptions=True)
            for waiter in self._waiters.values():
                if not waiter.done():
                    waiter.set_result(Settled(Settlement.WITHDRAWN, "outbox stopped"))

    async def _execute(self, call: Call[Request]) -> None:
        request = call.payload
        job = self._jobs.get(call.key, {}) if call.key else {}
        if request is None:
            assert call.message_id is not None
            label = self._cancellable.get(call.key) if call.key else None
            cancel = (job["job_id"], label) if label is not None and "job_id" in job else None
            request = EditText(call.chat_id, call.message_id, call.text, cancel=cancel)
        with structlog.contextvars.bound_contextvars(**job):
            taken = await self._take(call)
            if (stopped := await self._stopped(call)) is not None:
                taken.give_back(counted=False)
                settled: Settled | None = self._scheduler.unsent(call, stopped)
            else:
                result = await self._telegram.execute(request)
                taken.give_back(counted=not isinstance(result, RetryAfter))
                settled = self._scheduler.complete(call, result)
        if settled is not None and (waiter := self._waiters.get(call.id)) and not waiter.done():
            waiter.set_result(settled)
        self._wake.set()

    async def _stopped(self, call: Call[Request]) -> Settled | None:
        """The last word, as the call leaves: its gate's, or obsolete meanwhile."""
        if self._scheduler.obsolete(call):
            return Settled(Settlement.SUPERSEDED)
        gate = self._gates.pop(call.id, None)
        return None if gate is None else await gate()

    async def _take(self, call: Call[Request]) -> Taken:
        """The call's place in the bot's budget, and in its chat's when Telegram paces it
        per chat; a status edit leaves the chat's last call of a burst to the photo."""
        if self._budget is None:
            return Taken(None)
        delivery = call.priority is Priority.DELIVERY
        return await self._budget.take(
            call.chat_id if call.per_chat_limited else None,
            Lane.DELIVERY if delivery else Lane.STATUS,
            chat_calls=CHAT_BURST if delivery else CHAT_BURST - 1,
        )

    def _remember_job(self, chat_id: int, message_id: int) -> None:
        """The job the caller is handling (bound in its structlog context), if any."""
        job = structlog.contextvars.get_contextvars()
        if "job_id" not in job:
            return
        self._jobs[chat_id, message_id] = {k: job[k] for k in ("job_id", "model") if k in job}
        self._jobs.move_to_end((chat_id, message_id))
        if len(self._jobs) > _REMEMBER_JOBS:
            forgotten, _ = self._jobs.popitem(last=False)
            self._cancellable.pop(forgotten, None)

    def _report_pending(self) -> None:
        for priority in Priority:
            metrics.OUTBOX_PENDING.labels(priority.value).set(self._scheduler.pending(priority))
