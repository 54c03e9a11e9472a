"""The model registry: which models exist, their backend, URL, key and capacity.

Built-in: `flux` and `sdxl`, each enabled when its worker URL is set. `MODELS_FILE`
(TOML) replaces them, so a new model needs configuration only:

    [models.kandinsky]
    display_name = "Kandinsky"
    backend = "post_json"            # get_query, post_json, a1111, comfyui, openai_images
    url_env = "KANDINSKY_WORKER_URL" # or url = "http://…"
    api_key_env = "KANDINSKY_API_KEY" # a Bearer key; for a1111, `user:pass` (--api-auth)
    capacity = 2
    sizes = ["1024x1024", "1344x768"] # the WxH sizes it allows; default_size one of them
    [models.kandinsky.defaults]        # backend fields sent with every job
    steps = 30

`openai_images` also takes `upstream_model` (the model name sent upstream); `comfyui` a
`workflow` (API-format JSON, relative to the MODELS_FILE) and `[models.<name>.inputs]`,
each Easel field's place in the graph as "<node id>.inputs.<input name>".
"""

from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator

from easel.events import ModelName

_BUILT_IN = {
    "flux": {"display_name": "FLUX", "backend": "get_query", "url_env": "FLUX_WORKER_URL"},
    "sdxl": {
        "display_name": "SDXL",
        "backend": "post_json",
        "url_env": "SDXL_WORKER_URL",
        "api_key_env": "SDXL_API_KEY",
    },
}


BackendKind = Literal["get_query", "post_json", "a1111", "comfyui", "openai_images"]
Size = Annotated[str, Field(pattern=r"^[1-9]\d{1,4}x[1-9]\d{1,4}$")]
# The Easel fields a ComfyUI workflow's inputs can take, each mapped to a node's input.
COMFYUI_FIELDS = frozenset(
    {"prompt", "negative_prompt", "seed", "width", "height", "image", "strength"}
)
_ONLY_FOR: dict[str, BackendKind] = {
    "upstream_model": "openai_images",
    "workflow": "comfyui",
    "inputs": "comfyui",
}


class ModelSpec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: ModelName
    display_name: str
    backend: BackendKind
    url: str = Field(pattern=r"^https?://")
    api_key: SecretStr | None = None
    capacity: int = Field(default=1, ge=1, le=1024)
    sizes: tuple[Size, ...] = ()  # empty: the backend's own size, none chosen by Easel
    default_size: Size | None = None
    defaults: dict[str, str | int | float | bool] = Field(default_factory=dict)
    upstream_model: str | None = Field(default=None, min_length=1, max_length=128)
    workflow: Path | None = None
    # Read from `workflow` at load: the graph each job's inputs are written into.
    graph: dict[str, Any] | None = Field(default=None, exclude=True, repr=False)
    inputs: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _fits_its_kind(self) -> Self:
        for key, kind in _ONLY_FOR.items():
            if key in self.model_fields_set and self.backend != kind:
                raise ValueError(f"{key} is for backend {kind!r} only")
        if self.default_size is not None and self.sizes and self.default_size not in self.sizes:
            raise ValueError(f"default_size {self.default_size} is not one of sizes")
        if self.backend == "comfyui":
            _check_workflow(self.graph, self.inputs)
        return self

    @property
    def accepts(self) -> frozenset[str]:
        """The generation parameters this model's backend can take; `image` is a photo to
        start from (image-to-image)."""
        match self.backend:
            case "a1111":
                return frozenset({"size", "seed", "negative_prompt", "steps", "image", "strength"})
            case "openai_images":  # the API refuses sizes the model does not list
                sizes = frozenset({"size"}) if self.sizes else frozenset()
                # dall-e-3 has no edits endpoint; dall-e-2 and the GPT image models do.
                edits = not (self.upstream_model or self.name).startswith("dall-e-3")
                return sizes | ({"image"} if edits else set())
            case "comfyui":
                needs = {"size": ("width", "height"), "seed": ("seed",)}
                needs |= {p: (p,) for p in ("negative_prompt", "image", "strength")}
                return frozenset(p for p, f in needs.items() if all(x in self.inputs for x in f))
            case _:
                return frozenset()  # a prompt, and nothing else

    @property
    def needs_image(self) -> bool:
        """Every job starts from a photo: a ComfyUI workflow that loads one cannot run
        without it."""
        return self.backend == "comfyui" and "image" in self.inputs

    @property
    def size(self) -> str | None:
        """The size a job gets when it asks for none."""
        return self.default_size or (self.sizes[0] if self.sizes else None)


class ModelRegistry(BaseModel):
    model_config = ConfigDict(frozen=True)

    models: tuple[ModelSpec, ...]
    default: ModelName

    @property
    def names(self) -> tuple[ModelName, ...]:
        return tuple(spec.name for spec in self.models)

    def get(self, name: str) -> ModelSpec | None:
        return next((spec for spec in self.models if spec.name == name), None)

    def capacity_of(self, name: str) -> int:
        """Jobs the model's backend takes at once; 1 for a model not configured here."""
        spec = self.get(name)
        return spec.capacity if spec else 1


def _check_workflow(graph: dict[str, Any] | None, inputs: dict[str, str]) -> None:
    """Each mapped input names a node and an input the workflow has."""
    if graph is None:
        raise ValueError("comfyui needs a workflow (an API-format JSON file)")
    if "prompt" not in inputs:
        raise ValueError('comfyui needs inputs.prompt, e.g. prompt = "6.inputs.text"')
    for field, place in inputs.items():
        if field not in COMFYUI_FIELDS:
            raise ValueError(f"inputs.{field}: not one of {', '.join(sorted(COMFYUI_FIELDS))}")
        node, _, rest = place.partition(".inputs.")
        if not rest or not isinstance(graph.get(node), dict):
            raise ValueError(f"inputs.{field}: {place!r} names no node of the workflow")
        if rest not in graph[node].get("inputs", {}):
            raise ValueError(f"inputs.{field}: node {node} has no input {rest!r}")


def _workflow(raw: object, base: Path) -> tuple[Path, dict[str, Any]]:
    path = base / str(raw)
    try:
        graph = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise ValueError(f"workflow: cannot read {path}: {error}") from None
    if not isinstance(graph, dict) or not all(isinstance(n, dict) for n in graph.values()):
        raise ValueError(f"workflow: {path} is not a graph in ComfyUI's API format")
    return path, graph


def _resolve(
    name: str, raw: dict[str, object], env: dict[str, str], base: Path
) -> ModelSpec | None:
    """A model whose URL is not configured is not offered; None says so."""
    fields = {k: v for k, v in raw.items() if k not in ("url_env", "api_key_env", "capacity_env")}
    if "workflow" in fields:
        fields["workflow"], fields["graph"] = _workflow(fields["workflow"], base)
    if "url" not in fields:
        url = env.get(str(raw.get("url_env", "")), "")
        if not url:
            return None
        fields["url"] = url
    key_env = raw.get("api_key_env")
    if key_env and env.get(str(key_env)):
        fields["api_key"] = env[str(key_env)]
    capacity = env.get(f"{name.upper().replace('-', '_')}_CAPACITY")
    if capacity:
        fields["capacity"] = capacity
    return ModelSpec(name=name, **fields)


def load_registry(env: dict[str, str] | None = None) -> ModelRegistry:
    """Read the registry from `MODELS_FILE` or the built-ins; ValueError names the culprit."""
    if env is None:
        env = dict(os.environ)
    source: dict[str, dict[str, object]] = _BUILT_IN  # type: ignore[assignment]
    origin = "built-in models"
    base = Path.cwd()
    if path := env.get("MODELS_FILE"):
        base = Path(path).parent  # a workflow's path is relative to the file naming it
        try:
            source = tomllib.loads(Path(path).read_text())["models"]
        except (OSError, KeyError, tomllib.TOMLDecodeError) as error:
            raise ValueError(
                f"MODELS_FILE: cannot read a [models] table from {path}: {error}"
            ) from None
        origin = f"MODELS_FILE {path}"
    specs = []
    for name, raw in source.items():
        try:
            spec = _resolve(name, dict(raw), env, base)
        except ValidationError as error:
            first = error.errors(include_url=False)[0]
            where = ".".join(map(str, (name, *first["loc"])))
            raise ValueError(f"{origin}: models.{where}: {first['msg']}") from None
        except ValueError as error:
            raise ValueError(f"{origin}: models.{name}: {error}") from None
        if spec is not None:
            specs.append(spec)
    if not specs:
        raise ValueError(
            "no model is configured: set FLUX_WORKER_URL and/or SDXL_WORKER_URL, or MODELS_FILE"
        )
    default = env.get("DEFAULT_MODEL") or specs[0].name
    if default not in {s.name for s in specs}:
        raise ValueError(f"DEFAULT_MODEL: {default!r} is not a configured model")
    return ModelRegistry(models=tuple(specs), default=default)
