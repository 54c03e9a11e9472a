"""`StandinServer`: an aiohttp app on loopback, served from its own thread and event loop.

The code under test may run in the test's loop, in another thread or in a subprocess, so
the stand-in never shares a loop with it. Recorded state lives behind one re-entrant lock;
every change calls `_changed()`, which wakes thread waiters (a Condition) and asyncio
waiters in any loop (an Event set through that loop). Waiting is therefore
condition-driven, never sleep-polling.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import threading
import traceback
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Self

from aiohttp import web

Predicate = Callable[[], bool]
_Waiter = tuple[asyncio.AbstractEventLoop, asyncio.Event]


def _describe(predicate: Predicate) -> str:
    try:
        source = inspect.getsource(predicate).strip()
    except (OSError, TypeError):
        source = getattr(predicate, "__qualname__", repr(predicate))
    return source if len(source) <= 200 else source[:197] + "..."


class StandinServer:
    """Subclasses implement `build_app()` and may override `describe()` for timeout messages."""

    def __init__(self, *, port: int = 0, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = port
        self._lock = threading.RLock()
        self._cond = threading.Condition(self._lock)
        self._async_waiters: set[_Waiter] = set()
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._shutdown: asyncio.Event | None = None
        self.internal_errors: list[str] = []  # stand-in bugs; tests may assert it stays empty

    # -- to implement --------------------------------------------------------------------
    def build_app(self) -> web.Application:
        raise NotImplementedError

    def describe(self) -> str:
        return ""

    # -- lifecycle -----------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> str:
        """Serve in a background thread; returns the base URL. Restarting keeps the port."""
        if self._thread is not None:
            raise RuntimeError(f"{type(self).__name__} is already running")
        with self._lock:
            self._stopping = False
        ready = threading.Event()
        failure: list[BaseException] = []
        self._thread = threading.Thread(
            target=self._run, args=(ready, failure), name=type(self).__name__, daemon=True
        )
        self._thread.start()
        ready.wait()
        if failure:
            self._thread.join()
            self._thread = None
            raise failure[0]
        return self.base_url

    def stop(self) -> None:
        """Wake every held request (hangs, long polls, slow answers) and shut down."""
        thread, loop, shutdown = self._thread, self._loop, self._shutdown
        if thread is None or loop is None or shutdown is None:
            return
        with self._lock:
            self._stopping = True
            self._changed()
        loop.call_soon_threadsafe(shutdown.set)
        thread.join(timeout=15)
        self._thread = None

    def _run(self, ready: threading.Event, failure: list[BaseException]) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._serve(ready))
        except BaseException as error:  # handed to start()
            failure.append(error)
        finally:
            ready.set()
            loop.close()

    async def _serve(self, ready: threading.Event) -> None:
        self._shutdown = asyncio.Event()
        app = self.build_app()
        app.middlewares.append(self._record_crashes)
        # handler_cancellation: a client that gives up cancels its handler, like a real
        # server noticing the dropped connection (frees worker capacity, ends long polls).
        runner = web.AppRunner(
            app, handler_cancellation=True, access_log=None, shutdown_timeout=2.0
        )
        await runner.setup()
        try:
            await web.TCPSite(runner, self.host, self.port).start()
            self.port = runner.addresses[0][1]
            ready.set()
            await self._shutdown.wait()
        finally:
            await runner.cleanup()

    @web.middleware
    async def _record_crashes(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        try:
            return await handler(request)
        except (web.HTTPException, asyncio.CancelledError):
            raise
        except Exception:
            with self._lock:
                self.internal_errors.append(traceback.format_exc())
                self._changed()
            raise

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    async def __aenter__(self) -> Self:
        await asyncio.to_thread(self.start)
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await asyncio.to_thread(self.stop)

    # -- change notification and waiting -------------------------------------------------
    def _changed(self) -> None:
        """Call after every state change (lock is taken here; re-entrant)."""
        with self._lock:
            self._cond.notify_all()
            for waiter in list(self._async_waiters):
                loop, event = waiter
                try:
                    loop.call_soon_threadsafe(event.set)
                except RuntimeError:  # that loop is closed; its waiter is gone
                    self._async_waiters.discard(waiter)

    def _timeout_message(self, predicate: Predicate, timeout: float) -> str:
        state = self.describe()
        return f"{type(self).__name__}: still false after {timeout}s: {_describe(predicate)}" + (
            f"\n  state: {state}" if state else ""
        )

    def wait_for(self, predicate: Predicate, timeout: float = 10.0) -> None:
        """Block this thread until `predicate()` holds; TimeoutError says what was awaited.

        In an async test whose client runs in the same loop, use `wait_for_async` instead,
        or the client cannot make progress while this blocks.
        """
        with self._cond:
            if not self._cond.wait_for(predicate, timeout):
                raise TimeoutError(self._timeout_message(predicate, timeout))

    async def wait_for_async(self, predicate: Predicate, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """`wait_for` for coroutines: yields to the caller's loop while waiting."""
        if not await self._until(predicate, timeout, stop_early=False):
            raise TimeoutError(self._timeout_message(predicate, timeout))

    async def _until(
        self, predicate: Predicate, seconds: float | None, *, stop_early: bool = True
    ) -> bool:
        """Await `predicate()` in the current loop; False on timeout (or stop, if stop_early)."""
        event = asyncio.Event()
        waiter = (asyncio.get_running_loop(), event)
        with self._lock:
            self._async_waiters.add(waiter)
        try:
            async with asyncio.timeout(seconds):
                while True:
                    event.clear()  # before checking, so a change after the check re-sets it
                    with self._lock:
                        if predicate():
                            return True
                        if stop_early and self._stopping:
                            return False
                    await event.wait()
        except TimeoutError:
            with self._lock:
                return predicate()
        finally:
            with self._lock:
                self._async_waiters.discard(waiter)

    async def _pause(self, seconds: float) -> bool:
        """Sleep that a stop interrupts; True if the full time passed."""
        assert self._shutdown is not None, "only for handlers on the server's loop"
        if seconds > 0:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(seconds):
                    await self._shutdown.wait()
        return not self._shutdown.is_set()

    async def _hold_until_stopped(self, request: web.Request) -> web.StreamResponse:
        """Never answer; when the server stops, drop the connection instead of replying."""
        assert self._shutdown is not None, "only for handlers on the server's loop"
        await self._shutdown.wait()
        if request.transport is not None:
            request.transport.close()
        raise asyncio.CancelledError
