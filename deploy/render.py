"""A small, honest subset of `kustomize build`, for machines without kustomize.

    python deploy/render.py build deploy/k8s/overlays/example   # multi-document YAML
    python deploy/render.py sync-rules [--check]                # PrometheusRule <- rules.yaml

Kustomization fields understood: resources (files, and directories holding a
kustomization), namespace, labels, commonLabels, images, replicas, patches (strategic
merge, or JSON 6902 add/remove/replace with a target), configMapGenerator and
secretGenerator (literals, envs, files; behavior create|merge|replace), generatorOptions
(disableNameSuffixHash). Any other field raises Unsupported instead of being ignored, so
what this prints is what kustomize would apply, or nothing. Generated names get
kustomize's content-hash suffix (its api/hasher algorithm; tests/deploy checks it against
that package's test vectors) and references to them in pod templates follow. Output keeps
resource order (kustomize's default sorts by kind); the set of objects is the same.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

DEPLOY = Path(__file__).resolve().parent
RULES = DEPLOY / "monitoring" / "rules.yaml"
PROMETHEUS_RULE = DEPLOY / "k8s" / "base" / "prometheusrule.yaml"

Obj = dict[str, Any]

_FIELDS = {
    "apiVersion",
    "kind",
    "resources",
    "namespace",
    "labels",
    "commonLabels",
    "images",
    "replicas",
    "patches",
    "configMapGenerator",
    "secretGenerator",
    "generatorOptions",
}
_CLUSTER_SCOPED = {
    "Namespace",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "PersistentVolume",
    "StorageClass",
    "PriorityClass",
    "IngressClass",
    "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration",
}
_WORKLOADS = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"}
_SCALABLE = {"Deployment", "StatefulSet", "ReplicaSet", "ReplicationController"}
# Strategic-merge list keys (from the Kubernetes API's patchMergeKey), by field name.
_MERGE_KEYS = {
    "containers": "name",
    "initContainers": "name",
    "env": "name",
    "volumes": "name",
    "volumeMounts": "mountPath",
    "imagePullSecrets": "name",
    "ports": "containerPort",  # a Service's ports merge on `port`, see _merge_key
}


class Unsupported(ValueError):
    """The kustomization uses something this subset does not implement."""


@dataclass
class Resource:
    obj: Obj
    generated: bool = False
    hashed: bool = False  # gets a content-hash name suffix at the end of the build

    @property
    def kind(self) -> str:
        return str(self.obj.get("kind", ""))

    @property
    def name(self) -> str:
        return str(self.obj.get("metadata", {}).get("name", ""))


def load_documents(text: str) -> list[Obj]:
    # Through JSON: YAML anchors become separate objects, so a later edit of one
    # aliased map (labels vs selector) cannot leak into the other.
    docs = [doc for doc in yaml.safe_load_all(text) if doc is not None]
    return [json.loads(json.dumps(doc)) for doc in docs]


def build(directory: Path | str) -> list[Obj]:
    """Render a kustomization directory like `kustomize build`."""
    resources = _build(Path(directory).resolve())
    _apply_hash_suffixes(resources)
    return [r.obj for r in resources]


def _build(root: Path) -> list[Resource]:
    kustomization = _read_kustomization(root)
    resources: list[Resource] = []
    for entry in kustomization.get("resources", []):
        path = (root / entry).resolve()
        if path.is_dir():
            resources.extend(_build(path))
        else:
            _inside(root, path)
            resources.extend(Resource(doc) for doc in load_documents(path.read_text()))

    options = kustomization.get("generatorOptions", {})
    _only(options, {"disableNameSuffixHash"}, "generatorOptions")
    hashed = not options.get("disableNameSuffixHash", False)
    for kind, key in (("ConfigMap", "configMapGenerator"), ("Secret", "secretGenerator")):
        for spec in kustomization.get(key, []):
            _generate(root, kind, spec, hashed, resources)

    for patch in kustomization.get("patches", []):
        _patch(root, patch, resources)
    if namespace := kustomization.get("namespace"):
        for r in resources:
            if r.kind not in _CLUSTER_SCOPED:
                r.obj.setdefault("metadata", {})["namespace"] = namespace
    if common := kustomization.get("commonLabels"):
        _label(resources, common, selectors=True, templates=True)
    for entry in kustomization.get("labels", []):
        _only(entry, {"pairs", "includeSelectors", "includeTemplates"}, "labels")
        selectors = bool(entry.get("includeSelectors", False))
        templates = selectors or bool(entry.get("includeTemplates", False))
        _label(resources, entry["pairs"], selectors=selectors, templates=templates)
    for entry in kustomization.get("replicas", []):
        _only(entry, {"name", "count"}, "replicas")
        for r in resources:
            if r.kind in _SCALABLE and r.name == entry["name"]:
                r.obj["spec"]["replicas"] = int(entry["count"])
    for image in kustomization.get("images", []):
        _only(image, {"name", "newName", "newTag", "digest"}, "images")
        for r in resources:
            for container in _containers(r.obj):
                container["image"] = _retag(container["image"], image)
    return resources


def _read_kustomization(root: Path) -> Obj:
    for name in ("kustomization.yaml", "kustomization.yml", "Kustomization"):
        if (root / name).is_file():
            (doc,) = load_documents((root / name).read_text())
            unknown = set(doc) - _FIELDS
            if unknown:
                raise Unsupported(f"{root / name}: not implemented: {', '.join(sorted(unknown))}")
            return doc
    raise FileNotFoundError(f"no kustomization in {root}")


def _only(mapping: Obj, allowed: set[str], where: str) -> None:
    unknown = set(mapping) - allowed
    if unknown:
        raise Unsupported(f"{where}: not implemented: {', '.join(sorted(unknown))}")


def _inside(root: Path, path: Path) -> None:
    # kustomize's load restrictor: files must live in or below the kustomization.
    if not path.is_relative_to(root):
        raise Unsupported(f"{path} is outside {root} (kustomize refuses it too)")


# --- generators -------------------------------------------------------------------------


def _generate(root: Path, kind: str, spec: Obj, hashed: bool, resources: list[Resource]) -> None:
    _only(spec, {"name", "behavior", "literals", "envs", "files", "type", "options"}, kind)
    options = spec.get("options", {})
    _only(options, {"disableNameSuffixHash"}, f"{kind} {spec['name']} options")
    data: dict[str, str] = {}
    for literal in spec.get("literals", []):
        key, _, value = str(literal).partition("=")
        data[key] = value
    for env in spec.get("envs", []):
        path = (root / env).resolve()
        _inside(root, path)
        data.update(parse_env_file(path.read_text(), str(path)))
    for entry in spec.get("files", []):
        key, _, source = str(entry).rpartition("=")
        path = (root / source).resolve()
        _inside(root, path)
        data[key or path.name] = path.read_text()

    field = "data"
    values: dict[str, str] = data
    if kind == "Secret":
        values = {k: base64.b64encode(v.encode()).decode() for k, v in data.items()}
    behavior = spec.get("behavior", "create")
    existing = next((r for r in resources if r.kind == kind and r.name == spec["name"]), None)
    if behavior == "create":
        if existing:
            raise ValueError(f"{kind} {spec['name']} already exists: use behavior merge/replace")
        obj: Obj = {"apiVersion": "v1", "kind": kind, "metadata": {"name": spec["name"]}}
        if kind == "Secret":
            obj["type"] = spec.get("type", "Opaque")
        obj[field] = values
        suffix = hashed and not options.get("disableNameSuffixHash", False)
        resources.append(Resource(obj, generated=True, hashed=suffix))
    elif behavior in ("merge", "replace"):
        if not existing or not existing.generated:
            raise ValueError(f"{kind} {spec['name']}: behavior {behavior} needs a base generator")
        if behavior == "merge":
            existing.obj.setdefault(field, {}).update(values)
        else:
            existing.obj[field] = values
    else:
        raise Unsupported(f"{kind} {spec['name']}: behavior {behavior!r}")


def parse_env_file(text: str, origin: str = "env file") -> dict[str, str]:
    """kustomize's env files: KEY=VALUE per line, `#` comments; values are not unquoted."""
    data = {}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = raw.lstrip().partition("=")
        if not sep or not key:
            raise Unsupported(f"{origin}:{number}: expected KEY=VALUE (no value from the env)")
        data[key] = value
    return data


def kustomize_hash(obj: Obj) -> str:
    """The suffix kustomize appends to a generated ConfigMap/Secret name."""
    name, data = obj["metadata"]["name"], obj.get("data") or ""  # kustomize encodes none as ""
    meta: Obj = {"kind": obj["kind"], "name": name, "data": data}
    if obj.get("binaryData"):
        meta["binaryData"] = obj["binaryData"]
    if obj["kind"] == "Secret":
        meta["type"] = obj.get("type", "Opaque")
    encoded = json.dumps(meta, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    for char, escape in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        encoded = encoded.replace(char, escape)  # as Go's json.Marshal writes them
    digest = hashlib.sha256(encoded.encode()).hexdigest()[:10]
    return digest.translate(str.maketrans("013ae", "ghkmt"))


def _apply_hash_suffixes(resources: list[Resource]) -> None:
    renamed: dict[tuple[str, str], str] = {}
    for r in resources:
        if r.hashed:
            new = f"{r.name}-{kustomize_hash(r.obj)}"
            renamed[(r.kind, r.name)] = new
            r.obj["metadata"]["name"] = new
    for r in resources:
        for spec in _pod_specs(r.obj):
            _rename_references(spec, renamed)


def _rename_references(spec: Obj, renamed: dict[tuple[str, str], str]) -> None:
    def fix(ref: Obj | None, kind: str, key: str = "name") -> None:
        if ref and (kind, ref.get(key)) in renamed:
            ref[key] = renamed[(kind, ref[key])]

    for container in spec.get("containers", []) + spec.get("initContainers", []):
        for source in container.get("envFrom", []):
            fix(source.get("configMapRef"), "ConfigMap")
            fix(source.get("secretRef"), "Secret")
        for env in container.get("env", []):
            value_from = env.get("valueFrom", {})
            fix(value_from.get("configMapKeyRef"), "ConfigMap")
            fix(value_from.get("secretKeyRef"), "Secret")
    for volume in spec.get("volumes", []):
        fix(volume.get("configMap"), "ConfigMap")
        fix(volume.get("secret"), "Secret", "secretName")
        for source in volume.get("projected", {}).get("sources", []):
            fix(source.get("configMap"), "ConfigMap")
            fix(source.get("secret"), "Secret")
    for pull in spec.get("imagePullSecrets", []):
        fix(pull, "Secret")


# --- transformers -----------------------------------------------------------------------


def _pod_specs(obj: Obj) -> list[Obj]:
    kind, spec = obj.get("kind"), obj.get("spec") or {}
    if kind == "Pod":
        return [spec]
    if kind in _WORKLOADS:
        return [spec.get("template", {}).get("spec", {})]
    if kind == "CronJob":
        return [spec.get("jobTemplate", {}).get("spec", {}).get("template", {}).get("spec", {})]
    return []


def _containers(obj: Obj) -> list[Obj]:
    return [
        c
        for spec in _pod_specs(obj)
        for c in spec.get("containers", []) + spec.get("initContainers", [])
    ]


def _retag(image: str, rule: Obj) -> str:
    name, digest = image.split("@", 1) if "@" in image else (image, "")
    tag = ""
    if ":" in name.rsplit("/", 1)[-1]:
        name, tag = name.rsplit(":", 1)
    if name != rule["name"]:
        return image
    name = str(rule.get("newName", name))
    if "digest" in rule:
        return f"{name}@{rule['digest']}"
    if "newTag" in rule:
        return f"{name}:{rule['newTag']}"
    return name + (f":{tag}" if tag else "") + (f"@{digest}" if digest else "")


def _label(resources: list[Resource], pairs: Obj, *, selectors: bool, templates: bool) -> None:
    pairs = {k: str(v) for k, v in pairs.items()}
    for r in resources:
        r.obj.setdefault("metadata", {}).setdefault("labels", {}).update(pairs)
        spec = r.obj.get("spec") or {}
        if r.kind in _WORKLOADS:
            if templates:
                spec["template"].setdefault("metadata", {}).setdefault("labels", {}).update(pairs)
            if selectors:
                spec.setdefault("selector", {}).setdefault("matchLabels", {}).update(pairs)
        elif selectors and r.kind == "Service":
            spec.setdefault("selector", {}).update(pairs)
        elif selectors and r.kind == "PodDisruptionBudget":
            spec.setdefault("selector", {}).setdefault("matchLabels", {}).update(pairs)
        elif selectors and r.kind in {"CronJob", "NetworkPolicy"}:
            raise Unsupported(f"selector labels on {r.kind}")


# --- patches ----------------------------------------------------------------------------


def _patch(root: Path, entry: Obj, resources: list[Resource]) -> None:
    _only(entry, {"path", "patch", "target"}, "patches")
    if "path" in entry:
        path = (root / entry["path"]).resolve()
        _inside(root, path)
        text = path.read_text()
    else:
        text = entry["patch"]
    docs: list[Any] = [d for d in yaml.safe_load_all(text) if d is not None]
    target = entry.get("target")
    if target is not None:
        _only(target, {"kind", "name", "group", "version"}, "patch target")
    if len(docs) == 1 and isinstance(docs[0], list):  # JSON 6902
        if target is None:
            raise ValueError("a JSON 6902 patch needs a target")
        for r in _select(resources, target):
            for op in docs[0]:
                _json6902(r.obj, op)
        return
    for doc in docs:
        chosen = (
            _select(resources, target)
            if target is not None
            else [
                r
                for r in resources
                if r.kind == doc.get("kind") and r.name == doc["metadata"]["name"]
            ]
        )
        if not chosen:
            raise ValueError(f"patch matches nothing: {target or doc.get('metadata')}")
        for r in chosen:
            if doc.get("$patch") == "delete":
                resources.remove(r)
                continue
            body = {k: v for k, v in doc.items() if k not in ("apiVersion", "kind")}
            body["metadata"] = {k: v for k, v in doc.get("metadata", {}).items() if k != "name"}
            _merge(r.obj, body, strategic=_builtin(r.obj.get("apiVersion", "")))


def _select(resources: list[Resource], target: Obj) -> list[Resource]:
    def matches(r: Resource) -> bool:
        group, _, version = r.obj.get("apiVersion", "").rpartition("/")
        return (
            ("kind" not in target or target["kind"] == r.kind)
            and ("name" not in target or re.fullmatch(target["name"], r.name) is not None)
            and ("group" not in target or target["group"] == group)
            and ("version" not in target or target["version"] == version)
        )

    return [r for r in resources if matches(r)]


def _builtin(api_version: str) -> bool:
    """Kinds with strategic-merge metadata; custom resources get JSON merge patches."""
    group = api_version.rpartition("/")[0]
    return group in ("", "apps", "batch", "policy", "autoscaling") or group.endswith(".k8s.io")


def _merge(target: Obj, patch: Obj, *, strategic: bool) -> None:
    for key, value in patch.items():
        if value is None:
            target.pop(key, None)
        elif isinstance(value, dict) and isinstance(target.get(key), dict):
            directive = value.get("$patch")
            if strategic and directive == "delete":
                target.pop(key)
            elif strategic and directive == "replace":
                target[key] = {k: v for k, v in value.items() if k != "$patch"}
            else:
                _merge(target[key], value, strategic=strategic)
        elif (
            strategic
            and isinstance(value, list)
            and isinstance(target.get(key), list)
            and (merge_key := _merge_key(key, value + target[key]))
        ):
            _merge_list(target[key], value, merge_key)
        elif isinstance(value, dict):  # a new map: still drop its nulls and directives
            target[key] = {}
            _merge(
                target[key], {k: v for k, v in value.items() if k != "$patch"}, strategic=strategic
            )
        else:
            target[key] = copy.deepcopy(value)


def _merge_key(field: str, items: list[Any]) -> str | None:
    key = _MERGE_KEYS.get(field)
    if key == "containerPort" and not any("containerPort" in i for i in items):
        key = "port"
    return key if key and all(isinstance(i, dict) and key in i for i in items) else None


def _merge_list(target: list[Obj], patch: list[Obj], key: str) -> None:
    for item in patch:
        found = next((t for t in target if t.get(key) == item[key]), None)
        if item.get("$patch") == "delete":
            if found is not None:
                target.remove(found)
        elif found is not None:
            _merge(found, item, strategic=True)
        else:
            target.append({})
            _merge(target[-1], item, strategic=True)


def _json6902(obj: Obj, op: Obj) -> None:
    kind = op.get("op")
    if kind not in ("add", "remove", "replace"):
        raise Unsupported(f"JSON 6902 op {kind!r}")
    parts = [p.replace("~1", "/").replace("~0", "~") for p in op["path"].split("/")[1:]]
    parent: Any = obj
    for part in parts[:-1]:
        parent = parent[int(part)] if isinstance(parent, list) else parent[part]
    last = parts[-1]
    if isinstance(parent, list):
        index = len(parent) if last == "-" else int(last)
        if kind == "add":
            parent.insert(index, copy.deepcopy(op["value"]))
        elif kind == "remove":
            del parent[index]
        else:
            parent[index] = copy.deepcopy(op["value"])
    elif kind == "remove":
        del parent[last]
    else:
        if kind == "replace" and last not in parent:
            raise ValueError(f"JSON 6902 replace: {op['path']} does not exist")
        parent[last] = copy.deepcopy(op["value"])


# --- PrometheusRule <- rules.yaml -------------------------------------------------------


class _BlockDumper(yaml.SafeDumper):
    pass


def _str(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_BlockDumper.add_representer(str, _str)


def prometheus_rule() -> str:
    rules = yaml.safe_load(RULES.read_text())
    obj = {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": {"name": "easel", "labels": {"app.kubernetes.io/name": "easel"}},
        "spec": rules,
    }
    header = (
        "# GENERATED by `python deploy/render.py sync-rules` from deploy/monitoring/rules.yaml:\n"
        "# edit that file, then re-run. tests/deploy fails when the two differ.\n"
    )
    return header + str(yaml.dump(obj, Dumper=_BlockDumper, sort_keys=False, width=100))


def main(argv: list[str]) -> int:
    if len(argv) == 3 and argv[1] == "build":
        yaml.dump_all(build(argv[2]), sys.stdout, Dumper=_BlockDumper, sort_keys=False)
        return 0
    if len(argv) in (2, 3) and argv[1] == "sync-rules":
        text = prometheus_rule()
        if argv[2:] == ["--check"]:
            if PROMETHEUS_RULE.read_text() != text:
                print(f"{PROMETHEUS_RULE} is stale: run python deploy/render.py sync-rules")
                return 1
            return 0
        PROMETHEUS_RULE.write_text(text)
        print(f"wrote {PROMETHEUS_RULE}")
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
