"""The HTTP front door: OpenAI-compatible images under /v1, over the same core the
Telegram side uses (validation, limits, job creation)."""

from easel_gateway.http.server import ApiServer

__all__ = ["ApiServer"]
