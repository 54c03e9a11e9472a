"""One service as a child process: start, wait until ready, SIGTERM, SIGKILL, restart."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

BIN = Path(sys.executable).parent


class ServiceProcess:
    def __init__(self, name: str, env: dict[str, str], log_path: Path, metrics_port: int) -> None:
        self.name = name
        self.env = env | {"METRICS_PORT": str(metrics_port)}
        self.log_path = log_path
        self.metrics_port = metrics_port
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def ops_url(self) -> str:
        return f"http://127.0.0.1:{self.metrics_port}"

    def start(self) -> None:
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [str(BIN / f"easel-{self.name}")], env=self.env, stdout=log, stderr=log
        )
        log.close()
        self.starts += 1

    def wait_ready(self, timeout: float = 30.0) -> None:
        """Poll /readyz as a Kubernetes probe would: a child process gives no other signal."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is None or self.proc.poll() is not None:
                raise RuntimeError(f"easel-{self.name} exited; see {self.log_path}:\n{self.tail()}")
            try:
                with urllib.request.urlopen(f"{self.ops_url}/readyz", timeout=1) as answer:  # noqa: S310
                    if answer.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.05)
        raise TimeoutError(f"easel-{self.name} not ready within {timeout}s:\n{self.tail()}")

    def metrics(self) -> str:
        with urllib.request.urlopen(f"{self.ops_url}/metrics", timeout=5) as answer:  # noqa: S310
            return str(answer.read().decode())

    def kill(self) -> None:
        """SIGKILL: no chance to clean up, like an OOM kill or a lost node."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)

    def terminate(self, timeout: float = 30.0) -> int | None:
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        return self.proc.returncode

    def restart(self) -> None:
        self.kill()
        self.start()
        self.wait_ready()

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None


def child_env(**extra: str) -> dict[str, str]:
    """The parent's environment minus anything that would steer the services elsewhere."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NATS_", "TELEGRAM_", "LLM_"))}
    return env | extra
