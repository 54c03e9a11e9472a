"""The model registry: which models exist, their backend, URL, key and capacity.

Built-in: `flux` and `sdxl`, each enabled when its worker URL is set. `MODELS_FILE`
(TOML) replaces them, so a new model needs configuration only:

    [models.kandinsky]
    display_name = "Kandinsky"
    backend = "post_json"            # or "get_query"
    url_env = "KANDINSKY_WORKER_URL" # or url = "http://…"
    api_key_env = "KANDINSKY_API_KEY"
    capacity = 2
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

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


class ModelSpec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: ModelName
    display_name: str
    backend: Literal["get_query", "post_json"]
    url: str = Field(pattern=r"^https?://")
    api_key: SecretStr | None = None
    capacity: int = Field(default=1, ge=1, le=1024)


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


def _resolve(name: str, raw: dict[str, object], env: dict[str, str]) -> ModelSpec | None:
    """A model whose URL is not configured is not offered; None says so."""
    fields = {k: v for k, v in raw.items() if k not in ("url_env", "api_key_env", "capacity_env")}
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
    if path := env.get("MODELS_FILE"):
        try:
            source = tomllib.loads(Path(path).read_text())["models"]
        except (OSError, KeyError, tomllib.TOMLDecodeError) as error:
            raise ValueError(
                f"MODELS_FILE: cannot read a [models] table from {path}: {error}"
            ) from None
        origin = f"MODELS_FILE {path}"
    try:
        specs = [s for name, raw in source.items() if (s := _resolve(name, dict(raw), env))]
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        raise ValueError(f"{origin}: {'.'.join(map(str, first['loc']))}: {first['msg']}") from None
    if not specs:
        raise ValueError(
            "no model is configured: set FLUX_WORKER_URL and/or SDXL_WORKER_URL, or MODELS_FILE"
        )
    default = env.get("DEFAULT_MODEL") or specs[0].name
    if default not in {s.name for s in specs}:
        raise ValueError(f"DEFAULT_MODEL: {default!r} is not a configured model")
    return ModelRegistry(models=tuple(specs), default=default)
