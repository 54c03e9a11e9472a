"""Loopback stand-ins for what Easel talks to outside: Telegram, the image backends (plain
workers, AUTOMATIC1111, ComfyUI, OpenAI's Images API), the LLM.

Each is a real HTTP server in its own thread (`with FluxWorkerStandin() as flux: ...`),
so the code under test uses its ordinary clients against `base_url` / `url`.
"""

from easel_devtools.standins._botchats import CallbackAnswer, CallbackPress, ChatMessage, Update
from easel_devtools.standins._server import StandinServer
from easel_devtools.standins.a1111 import A1111Standin
from easel_devtools.standins.botapi import DEFAULT_TOKEN, BotApiStandin
from easel_devtools.standins.comfyui import ComfyUIStandin
from easel_devtools.standins.images import PNG_SIGNATURE, TINY_JPEG, ImageInfo, png, sniff
from easel_devtools.standins.llm import DEFAULT_LLM_KEY, LlmRequest, LlmStandin, enhance
from easel_devtools.standins.openai_images import DEFAULT_OPENAI_KEY, OpenAIImagesStandin
from easel_devtools.standins.workers import (
    DEFAULT_SDXL_KEY,
    Behaviour,
    FluxWorkerStandin,
    Job,
    SdxlWorkerStandin,
    WorkerStandin,
)

__all__ = [
    "DEFAULT_LLM_KEY",
    "DEFAULT_OPENAI_KEY",
    "DEFAULT_SDXL_KEY",
    "DEFAULT_TOKEN",
    "PNG_SIGNATURE",
    "TINY_JPEG",
    "A1111Standin",
    "Behaviour",
    "BotApiStandin",
    "CallbackAnswer",
    "CallbackPress",
    "ChatMessage",
    "ComfyUIStandin",
    "FluxWorkerStandin",
    "ImageInfo",
    "Job",
    "LlmRequest",
    "LlmStandin",
    "OpenAIImagesStandin",
    "SdxlWorkerStandin",
    "StandinServer",
    "Update",
    "WorkerStandin",
    "enhance",
    "png",
    "sniff",
]
