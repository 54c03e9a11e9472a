"""`easel`: run the whole system locally, submit a job without Telegram, provision JetStream."""

from ._main import main

__all__ = ["main"]
