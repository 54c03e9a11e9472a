"""`just observe`: the `just demo` system plus a real Prometheus server scraping it.

Starts NATS, the four services and the stand-ins (`easel_devtools.harness`), then Debian's
`prometheus` binary on a free loopback port with a generated config that scrapes the
four /metrics endpoints every second and evaluates deploy/monitoring/rules.yaml. Drives
a few jobs that touch every kind of metric (a success per model, a failure, an LLM
fallback, Telegram flood control, a backlog), prints the Prometheus URL and some useful
queries, then keeps a trickle of requests going until Ctrl-C. `--once` drives the jobs,
prints the queries' results and exits. tests/e2e/test_observability.py reuses
`Prometheus` and `drive`.
"""

from __future__ import annotations

import argparse
import itertools
import json
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from easel.events import ErrorCode
from easel.natsserver import free_port
from easel_devtools.harness import EaselSystem
from easel_devtools.paths import ROOT
from easel_devtools.standins import Behaviour, BotApiStandin
from easel_notifier import texts

RULES = ROOT / "deploy" / "monitoring" / "rules.yaml"
# Target labels as the PodMonitor gives them in a cluster, so the rules and the
# dashboard's expressions work unchanged against this server.
NAMESPACE = "local"

QUERIES = {
    "scrape health": "up",
    "queue depth (sampled every 5 s)": "easel_queue_depth",
    "largest backlog, last 15 min": "max by (model) (max_over_time(easel_queue_depth[15m]))",
    "photos delivered": "sum by (model) (easel_notifier_end_to_end_seconds_count)",
    "end-to-end p95 (s), last 5 min": (
        "histogram_quantile(0.95, sum by (le, model) "
        "(rate(easel_notifier_end_to_end_seconds_bucket[5m]))) >= 0"  # drops NaN: no rate yet
    ),
    "jobs by outcome": "sum by (model, outcome, error_code) (easel_generator_jobs_total)",
    "backend answers": "sum by (model, status_class) (easel_generator_backend_responses_total)",
    "enhancer fallbacks": "sum by (reason) (easel_enhancer_fallbacks_total)",
    "Telegram errors": "sum by (method, error) (easel_notifier_telegram_errors_total)",
    "gateway requests": "sum by (outcome) (easel_gateway_requests_total) > 0",
    "alerts pending or firing": "ALERTS",
}


def prometheus_binary() -> str | None:
    return shutil.which("prometheus") or (
        "/usr/bin/prometheus" if Path("/usr/bin/prometheus").exists() else None
    )


def scrape_config(targets: Mapping[str, int], interval: str = "1s") -> str:
    """prometheus.yml for the services' metrics ports (JSON is YAML too)."""
    config = {
        "global": {"scrape_interval": interval, "evaluation_interval": interval},
        "rule_files": [str(RULES)],
        "scrape_configs": [
            {
                "job_name": "easel",
                "scrape_timeout": interval,
                "static_configs": [
                    {
                        "targets": [f"127.0.0.1:{port}"],
                        "labels": {"namespace": NAMESPACE, "component": name},
                    }
                    for name, port in targets.items()
                ],
            }
        ],
    }
    return json.dumps(config, indent=2)


class Prometheus:
    """One Prometheus server process on loopback, queried through its HTTP API."""

    def __init__(self, binary: str, targets: Mapping[str, int], workdir: Path) -> None:
        self.binary = binary
        self.targets = dict(targets)
        self.workdir = workdir
        self.port = free_port()
        self.log_path = workdir / "prometheus.log"
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> Self:
        self.workdir.mkdir(parents=True, exist_ok=True)
        config = self.workdir / "prometheus.yml"
        config.write_text(scrape_config(self.targets))
        with self.log_path.open("ab") as log:
            self._proc = subprocess.Popen(
                [
                    self.binary,
                    f"--config.file={config}",
                    f"--storage.tsdb.path={self.workdir / 'tsdb'}",
                    f"--web.listen-address=127.0.0.1:{self.port}",
                ],
                stdout=log,
                stderr=log,
            )
        self._poll(lambda: self._get("/-/ready") is not None, lambda: "ready", timeout)
        return self

    def wait_for_targets(self, timeout: float = 30.0) -> None:
        """Until every service has been scraped successfully once."""
        want = len(self.targets)
        self.wait_for("sum(up)", lambda v: v == want, timeout)

    def query(self, expr: str) -> list[dict[str, Any]]:
        """An instant query's vector: [{"metric": {...}, "value": [ts, "v"]}, ...]."""
        answer = self._get(f"/api/v1/query?{urllib.parse.urlencode({'query': expr})}")
        if answer is None or answer.get("status") != "success":
            raise RuntimeError(f"query failed: {expr}: {answer}")
        result: list[dict[str, Any]] = answer["data"]["result"]
        return result

    def value(self, expr: str) -> float | None:
        """The single number an aggregating query returns; None while it has no data."""
        result = self.query(expr)
        return float(result[0]["value"][1]) if result else None

    def wait_for(
        self, expr: str, predicate: Callable[[float], bool], timeout: float = 20.0
    ) -> float:
        """Poll until `expr` has a value that satisfies `predicate`; returns it."""
        seen: list[float | None] = [None]

        def holds() -> bool:
            seen[0] = self.value(expr)
            return seen[0] is not None and predicate(seen[0])

        self._poll(holds, lambda: f"{expr} as expected (last value {seen[0]})", timeout)
        assert seen[0] is not None
        return seen[0]

    def rules(self) -> list[dict[str, Any]]:
        answer = self._get("/api/v1/rules")
        if answer is None:
            raise RuntimeError("/api/v1/rules did not answer")
        return [rule for group in answer["data"]["groups"] for rule in group["rules"]]

    def evaluated_rules(self, timeout: float = 20.0) -> list[dict[str, Any]]:
        """The loaded rules once each has been evaluated (health "ok" or "err")."""
        self._poll(
            lambda: all(rule["health"] != "unknown" for rule in self.rules()),
            lambda: "done evaluating every rule",
            timeout,
        )
        return self.rules()

    def stop(self) -> None:
        if self._proc is None or self._proc.poll() is not None:
            return
        self._proc.terminate()
        try:
            self._proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait(timeout=5)

    def tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def _get(self, path: str) -> Any:
        """The JSON (or True for a plain 200) at `path`; None when not answering yet."""
        try:
            with urllib.request.urlopen(self.url + path, timeout=5) as answer:  # noqa: S310
                body = answer.read()
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return None
        return json.loads(body) if body.startswith(b"{") else True

    def _poll(self, condition: Callable[[], bool], what: Callable[[], str], timeout: float) -> None:
        # Prometheus pushes nothing: its API, asked again, is the only signal there is.
        deadline = time.monotonic() + timeout
        while not condition():
            if self._proc is None or self._proc.poll() is not None:
                raise RuntimeError(f"prometheus exited; {self.log_path}:\n{self.tail()}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"prometheus: not {what()} within {timeout}s:\n{self.tail()}")
            time.sleep(0.2)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


@dataclass(frozen=True)
class Workload:
    """What `drive` did: the counts the metrics must show."""

    jobs: Mapping[int, tuple[str, str]]  # chat -> (job id, model) of every job sent
    photo_chats: tuple[int, ...]  # each received exactly one photo
    failed_chat: int  # its sdxl job failed (HTTP 401)
    fallback_chat: int  # its prompt went unenhanced (LLM down)
    flooded_chat: int  # Telegram answered 429 to the notifier there
    backlog: int  # flux jobs sent at once

    @property
    def delivered(self) -> int:
        return len(self.photo_chats)


# The generator samples queue depth every 5 s: a backlog of 5 jobs at 2 s each stays at 3
# or more for 6 s, so at least one sample sees it.
BACKLOG = 5
BACKLOG_SERVICE_SECONDS = 2.0


def drive(system: EaselSystem, first_chat: int = 7000, timeout: float = 60.0) -> Workload:
    """A success per model, a failure, an LLM fallback, a 429 and a backlog, end to end."""
    tg, chats = system.telegram, itertools.count(first_chat)
    jobs: dict[int, tuple[str, str]] = {}

    def send(model: str, prompt: str) -> int:
        chat = next(chats)
        update = tg.send_user_message(chat, f"/image={model}={prompt}")
        jobs[chat] = (f"tg_{chat}_{update.message_id}", model)  # docs/events.md: job_id
        return chat

    system.sdxl.script([Behaviour(status=401)])
    failed = send("sdxl", "a lighthouse that will not render")
    # The notifier logs a job's end before the user sees it: waiting for what the user
    # sees means every service has logged the job.
    told = texts.failure(texts.texts_for("en"), "SDXL", ErrorCode.AUTH)
    tg.wait_for(lambda: any(told in m.texts for m in tg.messages(failed)), timeout)

    system.llm.mode = "down"
    try:
        fallback = send("flux", "a red bicycle, typed as is")
        system.flux.wait_for(lambda: "a red bicycle, typed as is" in system.flux.prompts, timeout)
    finally:
        system.llm.mode = "normal"

    # Telegram's flood control in one chat: the status message fills the chat's window
    # (1 message per 2 s), so the notifier's next call there gets a 429 and waits.
    limits = tg.per_chat_burst, tg.per_chat_per_second
    tg.set_flood_limits(True)
    tg.per_chat_burst, tg.per_chat_per_second = 1, 0.5
    try:
        flooded = send("flux", "a photo that has to wait its turn")
        tg.wait_for(lambda: done(tg, flooded), timeout)
    finally:
        tg.per_chat_burst, tg.per_chat_per_second = limits
        tg.set_flood_limits(False)

    sdxl_ok = send("sdxl", "a bowl of ramen")
    before, system.flux.service_time = system.flux.service_time, BACKLOG_SERVICE_SECONDS
    try:
        backlog = [send("flux", f"backlog job {n}") for n in range(BACKLOG)]
        photo_chats = (fallback, flooded, sdxl_ok, *backlog)
        tg.wait_for(lambda: all(done(tg, c) for c in photo_chats), timeout)
    finally:
        system.flux.service_time = before
    return Workload(jobs, photo_chats, failed, fallback, flooded, BACKLOG)


def done(tg: BotApiStandin, chat: int) -> bool:
    """The photo is there and the status message is gone (as `just demo` waits)."""
    return [m.photo is not None for m in tg.bot_visible_messages(chat)] == [True]


def show(prometheus: Prometheus) -> None:
    for title, expr in QUERIES.items():
        print(f"── {title}: {expr}")
        rows = prometheus.query(expr)
        for row in rows:
            labels = {k: v for k, v in row["metric"].items() if k not in ("namespace", "job")}
            shown = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
            print(f"   {{{shown}}} {row['value'][1]}")
        if not rows:
            print("   (no data)")


def trickle(system: EaselSystem, every: float) -> None:
    """One request every `every` seconds, alternating models, so rate() graphs move."""
    for n in itertools.count():
        model = ("flux", "sdxl")[n % 2]
        system.telegram.send_user_message(9000 + n % 20, f"/image={model}=trickle {n}")
        time.sleep(every)  # pacing the load, not waiting for anything


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--once", action="store_true", help="drive jobs, print results, exit")
    parser.add_argument("--every", type=float, default=3.0, help="seconds between requests")
    args = parser.parse_args()
    binary = prometheus_binary()
    if binary is None:
        print("observe: no prometheus binary: run `just setup` (devtools/install-tools.sh)")
        return 1
    workdir = Path(tempfile.mkdtemp(prefix="easel-observe-"))
    try:
        observe(binary, workdir, once=args.once, every=args.every)
    except KeyboardInterrupt:
        print("\nstopped")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


def observe(binary: str, workdir: Path, *, once: bool, every: float) -> None:
    with EaselSystem(workdir / "system") as system:
        system.flux.service_time, system.sdxl.service_time = 2.0, 1.0  # as `just demo`
        system.llm.latency = 0.3
        ports = {name: s.metrics_port for name, s in system.services.items()}
        with Prometheus(binary, ports, workdir / "prometheus") as prometheus:
            prometheus.wait_for_targets()
            print(f"Prometheus: {prometheus.url}  (graph: {prometheus.url}/graph)")
            print("metrics: " + ", ".join(f"{n} :{p}" for n, p in ports.items()))
            print(f"logs: {workdir / 'system' / 'logs'}\n")
            workload = drive(system)
            # Scrapes lag the events: wait until every job shows in Prometheus.
            finished = "sum(easel_generator_jobs_total)"
            prometheus.wait_for(finished, lambda v: v >= len(workload.jobs))
            delivered = "sum(easel_notifier_end_to_end_seconds_count)"
            prometheus.wait_for(delivered, lambda v: v >= workload.delivered)
            show(prometheus)
            if not once:
                print(f"\none request every {every:g}s; Ctrl-C stops everything")
                trickle(system, every)


if __name__ == "__main__":
    raise SystemExit(main())
