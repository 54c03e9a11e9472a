# Easel: `just demo` runs the whole system, `just test` checks it.
set shell := ["bash", "-euo", "pipefail", "-c"]

venv := ".venv"
py := venv / "bin/python"
packages := "-e shared -e services/gateway -e services/enhancer -e services/generator -e services/notifier"

default:
    @just --list

# Create .venv with the pinned dependencies and the five packages (quick when nothing changed).
setup:
    #!/usr/bin/env bash
    set -euo pipefail
    stamp={{venv}}/.easel-setup
    inputs="justfile requirements.lock shared/pyproject.toml services/*/pyproject.toml deploy/install-promtool.sh"
    if [ -f "$stamp" ] && [ -z "$(find $inputs -newer "$stamp")" ]; then exit 0; fi
    [ -x {{py}} ] || python3 -m venv {{venv}}
    [ -x {{venv}}/bin/uv ] || {{py}} -m pip install -q --disable-pip-version-check uv==0.13.8
    {{venv}}/bin/uv pip install -q --python {{py}} --require-hashes -r requirements.lock
    {{venv}}/bin/uv pip install -q --python {{py}} --no-deps {{packages}}
    bash deploy/install-promtool.sh || echo "setup: no promtool; the rule checks will be reported as skipped"
    touch "$stamp"

# Re-pin third-party dependencies from requirements.in.
lock: setup
    {{venv}}/bin/uv pip compile requirements.in --generate-hashes --no-emit-index-url --python-version 3.11 -q -o requirements.lock

# ruff and strict mypy over shared, the services, tests and tools.
lint: setup
    {{venv}}/bin/ruff check .
    {{venv}}/bin/ruff format --check .
    {{venv}}/bin/mypy shared/src services/gateway/src services/enhancer/src services/generator/src services/notifier/src
    {{py}} tests/tools/check_event_catalogue.py

# Lint, then every test against a real nats-server.
test *args: setup lint
    {{venv}}/bin/pytest {{args}}

# Fast pure-core tests only.
unit: setup
    {{venv}}/bin/pytest tests/unit -q

# The whole system: four services, real NATS, stand-ins for Telegram, workers and the LLM.
demo *args: setup
    {{py}} tests/tools/demo.py {{args}}

# `just demo`'s system plus a Prometheus server scraping it, until Ctrl-C (`--once`: one run).
observe *args: setup
    {{py}} tests/tools/observe.py {{args}}

# Chaos at full size: SIGKILLs, a NATS restart, failing workers; appends to docs/BENCHMARKS.md.
chaos *args: setup
    PYTHONPATH=tests {{py}} -m chaos {{args}}

# Load, Telegram's limits, the reference design beside Easel; appends to docs/BENCHMARKS.md.
bench *args: setup
    {{py}} -m bench {{args}}

fmt: setup
    {{venv}}/bin/ruff format .
    {{venv}}/bin/ruff check --fix .
