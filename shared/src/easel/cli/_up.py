"""`easel up`: the four services as child processes, with an embedded nats-server if needed."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

from easel.natsserver import NatsServer

SERVICES = ("gateway", "enhancer", "generator", "notifier")
_NEEDS_TELEGRAM = {"gateway", "notifier"}


def up(services: list[str], store: Path | None) -> int:
    unknown = set(services) - set(SERVICES)
    if unknown:
        print(f"easel up: unknown service(s): {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    env = dict(os.environ)
    if not env.get("TELEGRAM_BOT_TOKEN") and _NEEDS_TELEGRAM & set(services):
        print(
            "easel up: TELEGRAM_BOT_TOKEN is not set; starting without gateway and notifier "
            "(use `easel submit` to generate)",
            file=sys.stderr,
        )
        services = [s for s in services if s not in _NEEDS_TELEGRAM]
    server = None
    if not env.get("NATS_URL"):
        server = NatsServer(store_dir=store).start()
        env["NATS_URL"] = server.url
        print(f"easel up: embedded nats-server at {server.url}", file=sys.stderr)
    children = {name: _spawn(name, env) for name in services}
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True
        for child in children.values():
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    code = 0
    try:
        while children:
            pid, status = os.wait()
            name = next((n for n, c in children.items() if c.pid == pid), None)
            if name is None:
                continue
            children.pop(name).returncode = os.waitstatus_to_exitcode(status)
            if not stopping:
                print(f"easel up: {name} exited ({status}); stopping the rest", file=sys.stderr)
                code = 1
                stop()
    finally:
        if server:
            server.close()
    return code


def _spawn(name: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    program = (
        shutil.which(f"easel-{name}", path=str(Path(sys.executable).parent)) or f"easel-{name}"
    )
    return subprocess.Popen([program], env=env)
