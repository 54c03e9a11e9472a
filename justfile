# Easel: `just demo` runs the whole system, `just test` checks it.
set shell := ["bash", "-euo", "pipefail", "-c"]

venv := ".venv"
py := venv / "bin/python"
uv := venv / "bin/uv"

default:
    @just --list

# Create .venv from uv.lock (hashes checked): every workspace package, editable, and the dev group.
setup:
    #!/usr/bin/env bash
    set -euo pipefail
    stamp={{venv}}/.easel-setup
    inputs="justfile uv.lock pyproject.toml shared/pyproject.toml services/*/pyproject.toml devtools/pyproject.toml devtools/install-tools.sh"
    if [ -f "$stamp" ] && [ -z "$(find $inputs -newer "$stamp")" ]; then exit 0; fi
    [ -x {{py}} ] || python3 -m venv {{venv}}
    [ -x {{uv}} ] || {{py}} -m pip install -q --disable-pip-version-check uv==0.13.8
    # Bytecode compiled once here, not by each of the many processes a test starts.
    UV_PROJECT_ENVIRONMENT={{venv}} {{uv}} sync -q --frozen --all-packages --compile-bytecode --python {{py}}
    bash devtools/install-tools.sh || echo "setup: tools missing; the tests that need them will be reported as skipped"
    touch "$stamp"

# Re-pin every dependency in uv.lock from the pyproject files.
lock: setup
    {{uv}} lock --python 3.11

# ruff, strict mypy over the product code, the event catalogue's and API schema's checks, and
# the message catalogs' (every message in every language, its variables, its plural forms).
lint: setup
    {{venv}}/bin/ruff check .
    {{venv}}/bin/ruff format --check .
    {{venv}}/bin/mypy shared/src services/gateway/src services/enhancer/src services/generator/src services/notifier/src
    {{py}} -m easel_devtools.catalogue
    {{py}} -m easel_devtools.openapi
    {{py}} -m easel_devtools.messages

# Lint, then every test against a real nats-server.
test *args: setup lint
    {{venv}}/bin/pytest {{args}}

# The pure cores and the dev tools' own logic: no server, seconds.
unit *args: setup
    {{venv}}/bin/pytest tests/unit {{args}}

# Each service (and the shared bus) against a real nats-server and stand-ins, in-process.
integration *args: setup
    {{venv}}/bin/pytest tests/integration {{args}}

# The four services as processes, end to end; and the deploy manifests and rules.
e2e *args: setup
    {{venv}}/bin/pytest tests/e2e tests/deploy {{args}}

# The whole system: four services, real NATS, stand-ins for Telegram, workers and the LLM.
demo *args: setup
    {{py}} -m easel_devtools.demo {{args}}

# `just demo`'s system plus a Prometheus server scraping it, until Ctrl-C (`--once`: one run).
observe *args: setup
    {{py}} -m easel_devtools.observe {{args}}

# Chaos at full size: SIGKILLs, a NATS restart, failing workers; appends to docs/BENCHMARKS.md.
chaos *args: setup
    {{py}} -m easel_devtools.chaos {{args}}

# Load, Telegram's limits, the reference design beside Easel; appends to docs/BENCHMARKS.md.
bench *args: setup
    {{py}} -m easel_devtools.bench {{args}}

fmt: setup
    {{venv}}/bin/ruff format .
    {{venv}}/bin/ruff check --fix .
