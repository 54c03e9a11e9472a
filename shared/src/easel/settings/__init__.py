"""Settings from the environment (and an optional `.env`), and the model registry."""

from easel.settings._base import (
    EaselSettings,
    describe_error,
    load_settings,
    load_settings_only,
)
from easel.settings._models import ModelRegistry, ModelSpec, load_registry

__all__ = [
    "EaselSettings",
    "ModelRegistry",
    "ModelSpec",
    "describe_error",
    "load_registry",
    "load_settings",
    "load_settings_only",
]
