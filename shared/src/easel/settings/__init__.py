"""Settings from the environment (and an optional `.env`), and the model registry."""

from ._base import EaselSettings, describe_error, load_settings
from ._models import ModelRegistry, ModelSpec, load_registry

__all__ = [
    "EaselSettings",
    "ModelRegistry",
    "ModelSpec",
    "describe_error",
    "load_registry",
    "load_settings",
]
