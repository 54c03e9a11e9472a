"""Operable in production, checked with the real tools after a real run: promtool on each
service's /metrics, the metric list against what the services export, a Prometheus
server scraping the four services, and the JSON logs queried by job id."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from easel_devtools.harness import API_KEY, BOT_TOKEN, LLM_KEY, SDXL_KEY, EaselSystem
from easel_devtools.harness.system import SERVICES
from easel_devtools.observe import Prometheus, Workload, drive, prometheus_binary

pytestmark = pytest.mark.e2e
METRICS_LIST = Path(__file__).resolve().parents[2] / "deploy" / "monitoring" / "metrics.txt"
SECRETS = (BOT_TOKEN, BOT_TOKEN.split(":")[1], SDXL_KEY, LLM_KEY, API_KEY)
Family = tuple[str, frozenset[str]]  # type, label names


@pytest.fixture(scope="module")
def prometheus(
    system: EaselSystem, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Prometheus | None]:
    """Scraping before the jobs run, so it sees the backlog while it exists."""
    binary = prometheus_binary()
    if binary is None:
        yield None
        return
    ports = {name: system[name].metrics_port for name in SERVICES}
    with Prometheus(binary, ports, tmp_path_factory.mktemp("prometheus")) as server:
        server.wait_for_targets()
        yield server


@pytest.fixture(scope="module")
def workload(system: EaselSystem, prometheus: Prometheus | None) -> Workload:
    return drive(system)


@pytest.fixture(scope="module")
def exposition(system: EaselSystem, workload: Workload) -> dict[str, str]:
    return {name: system[name].metrics() for name in SERVICES}


# --- promtool and the metric list -------------------------------------------------------


@pytest.mark.parametrize("service", SERVICES)
def test_promtool_finds_nothing_to_lint(exposition: dict[str, str], service: str) -> None:
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool not installed: `just setup` runs devtools/install-tools.sh")
    checked = subprocess.run(
        [promtool, "check", "metrics"],
        input=exposition[service],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert (checked.returncode, checked.stdout + checked.stderr) == (0, "")


def test_metric_list_is_exactly_what_the_services_export(exposition: dict[str, str]) -> None:
    listed = _listed()
    exported: dict[str, Family] = {}
    for text in exposition.values():
        for name, family in _easel_families(text).items():
            exported.setdefault(name, family)
            assert exported[name][0] == family[0], f"{name}: exported with two types"
            exported[name] = (family[0], exported[name][1] | family[1])
    unexported, unlisted = sorted(listed.keys() - exported.keys()), sorted(exported - listed.keys())
    assert not unexported, f"in metrics.txt, exported by no service: {unexported}"
    assert not unlisted, f"exported, missing from metrics.txt: {unlisted}"
    for name, (kind, labels) in exported.items():
        assert kind == listed[name][0], f"{name}: {kind} exported, {listed[name][0]} listed"
        # A family without samples yet shows no labels; any it shows must be the listed ones.
        assert labels in (frozenset(), listed[name][1]), f"{name}: labels {sorted(labels)}"
    # The run touched the metrics the alerts lean on, so their series are really there.
    for name in (
        "easel_queue_depth",
        "easel_generator_jobs_total",
        "easel_enhancer_fallbacks_total",
        "easel_notifier_end_to_end_seconds",
    ):
        assert exported[name][1] == listed[name][1], f"{name} has no series after the run"


def _listed() -> dict[str, Family]:
    """deploy/monitoring/metrics.txt: `<name> <type> <labels|-> <who>` per line."""
    listed = {}
    for line in METRICS_LIST.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, kind, labels, *_ = line.split()
            listed[name] = (kind, frozenset() if labels == "-" else frozenset(labels.split(",")))
    return listed


def _easel_families(text: str) -> dict[str, Family]:
    """Exposed name (counters with _total) -> type and the label names its samples carry."""
    families = {}
    for family in text_string_to_metric_families(text):
        name = f"{family.name}_total" if family.type == "counter" else family.name
        if not name.startswith("easel_"):
            continue
        if family.type == "histogram" and family.samples:
            suffixes = {s.name.removeprefix(family.name) for s in family.samples}
            assert suffixes == {"_bucket", "_sum", "_count"}, f"{name}: {suffixes}"
        labels = {label for s in family.samples for label in s.labels} - {"le"}
        families[name] = (family.type, frozenset(labels))
    return families


# --- a real Prometheus server scraping the system ---------------------------------------


def test_prometheus_sees_backlog_deliveries_and_failures(
    prometheus: Prometheus | None, workload: Workload
) -> None:
    if prometheus is None:
        pytest.skip("prometheus not installed: `just setup` runs devtools/install-tools.sh")
    peak = prometheus.wait_for(
        'max_over_time(easel_queue_depth{model="flux"}[10m])', lambda v: v >= 3
    )
    assert peak <= workload.backlog
    delivered = prometheus.wait_for(
        "sum(easel_notifier_end_to_end_seconds_count)", lambda v: v >= workload.delivered
    )
    assert delivered == workload.delivered
    failed = prometheus.wait_for(
        'sum(easel_generator_jobs_total{outcome="failed"})', lambda v: v >= 1
    )
    assert failed == 1
    (series,) = prometheus.query('easel_generator_jobs_total{outcome="failed"}')
    assert (series["metric"]["model"], series["metric"]["error_code"]) == ("sdxl", "auth")
    fallbacks = prometheus.wait_for("sum(easel_enhancer_fallbacks_total)", lambda v: v >= 1)
    assert fallbacks == 1
    prometheus.wait_for(
        'sum(easel_notifier_telegram_errors_total{error="retry_after"})', lambda v: v >= 1
    )


def test_alert_rules_evaluate_cleanly_on_the_real_series(
    prometheus: Prometheus | None, workload: Workload
) -> None:
    if prometheus is None:
        pytest.skip("prometheus not installed: `just setup` runs devtools/install-tools.sh")
    rules = prometheus.evaluated_rules()
    assert len(rules) >= 8  # deploy/monitoring/rules.yaml was loaded
    assert {r["name"]: r.get("lastError") for r in rules if r["health"] != "ok"} == {}


# --- logs -------------------------------------------------------------------------------


def test_a_job_id_finds_its_lines_in_all_four_services(
    system: EaselSystem, workload: Workload
) -> None:
    lines = {name: system[name].log_path.read_text().splitlines() for name in SERVICES}
    records = {name: [json.loads(line) for line in text] for name, text in lines.items()}
    for name, service_records in records.items():
        assert service_records, f"{name} logged nothing"
        assert all({"event", "level", "timestamp", "service"} <= r.keys() for r in service_records)
    for chat, (job_id, model) in workload.jobs.items():
        found = {
            name: [r for r in service_records if job_id in json.dumps(r)]
            for name, service_records in records.items()
        }
        assert [name for name in SERVICES if not found[name]] == [], f"chat {chat}: {job_id}"
        for name, about_job in found.items():
            for record in about_job:
                assert record.get("job_id") == job_id, record
                assert record.get("model") == model, record
                assert record["service"] == f"easel-{name}", record
    # Lines about a chat's Telegram calls belong to that chat's job too (the 429 included).
    flooded_job, _ = workload.jobs[workload.flooded_chat]
    about_chat = [
        r for rs in records.values() for r in rs if r.get("chat_id") == workload.flooded_chat
    ]
    assert any(r["event"] == "notifier.telegram_error" for r in about_chat), about_chat
    assert [r for r in about_chat if r.get("job_id") != flooded_job] == []


def test_no_secret_in_any_log_line(system: EaselSystem, workload: Workload) -> None:
    logs = system.logs()
    assert len(logs.splitlines()) > 20  # the services did log the run
    assert [secret for secret in SECRETS if secret in logs] == []
