"""The whole Easel system on one machine, for end-to-end tests, `just demo` and benchmarks:
a real nats-server, the four services as separate processes, and stand-ins for Telegram,
the image workers and the LLM."""

from easel_devtools.harness.system import (
    API_KEY,
    API_KEY_NAME,
    BOT_TOKEN,
    LLM_KEY,
    SDXL_KEY,
    START_SECONDS,
    EaselSystem,
    ServiceProcess,
)

__all__ = [
    "API_KEY",
    "API_KEY_NAME",
    "BOT_TOKEN",
    "LLM_KEY",
    "SDXL_KEY",
    "START_SECONDS",
    "EaselSystem",
    "ServiceProcess",
]
