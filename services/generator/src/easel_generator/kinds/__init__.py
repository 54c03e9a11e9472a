"""The backend kinds: how one attempt at a job talks to each kind of image server. Each
kind module holds its pure part (the request it sends, the verdict on what came back)
beside the small class that does the I/O; `backends.Backend` adds retries, the circuit
breaker and the deadline around any of them."""

from __future__ import annotations

import httpx

from easel.settings import ModelSpec
from easel_generator.kinds._types import Answer, Kind, Photo, Render, Rendered
from easel_generator.kinds.a1111 import A1111
from easel_generator.kinds.comfyui import ComfyUI
from easel_generator.kinds.openai_images import OpenAIImages
from easel_generator.kinds.plain import Plain


def for_spec(spec: ModelSpec, client: httpx.AsyncClient) -> Kind:
    """The kind `spec.backend` names, talking through `client`."""
    match spec.backend:
        case "get_query" | "post_json":
            return Plain(spec, client)
        case "a1111":
            return A1111(spec, client)
        case "openai_images":
            return OpenAIImages(spec, client)
        case "comfyui":
            return ComfyUI(spec, client)


__all__ = ["Answer", "Kind", "Photo", "Render", "Rendered", "for_spec"]
