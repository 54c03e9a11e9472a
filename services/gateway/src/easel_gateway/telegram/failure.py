"""The failure that stops the gateway, apart from aiogram: the entry point catches it
without loading the Telegram side (GATEWAY_MODE=api)."""

from __future__ import annotations


class GatewayFailed(RuntimeError):
    """Updates cannot be received (revoked token, API unreachable at start, a crash)."""
