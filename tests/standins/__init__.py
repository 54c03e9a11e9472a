"""Loopback stand-ins for what Easel talks to outside: Telegram, the image workers, the LLM.

Each is a real HTTP server in its own thread (`with FluxWorkerStandin() as flux: ...`),
so the code under test uses its ordinary clients against `base_url` / `url`.
"""

from ._botchats import ChatMessage, Update
from ._server import StandinServer
from .botapi import DEFAULT_TOKEN, BotApiStandin
from .images import PNG_SIGNATURE, TINY_JPEG, ImageInfo, png, sniff
from .llm import DEFAULT_LLM_KEY, LlmRequest, LlmStandin, enhance
from .workers import (
    DEFAULT_SDXL_KEY,
    Behaviour,
    FluxWorkerStandin,
    Job,
    SdxlWorkerStandin,
    WorkerStandin,
)

__all__ = [
    "DEFAULT_LLM_KEY",
    "DEFAULT_SDXL_KEY",
    "DEFAULT_TOKEN",
    "PNG_SIGNATURE",
    "TINY_JPEG",
    "Behaviour",
    "BotApiStandin",
    "ChatMessage",
    "FluxWorkerStandin",
    "ImageInfo",
    "Job",
    "LlmRequest",
    "LlmStandin",
    "SdxlWorkerStandin",
    "StandinServer",
    "Update",
    "WorkerStandin",
    "enhance",
    "png",
    "sniff",
]
