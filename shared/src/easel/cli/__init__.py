"""`easel`: run the whole system locally, submit a job without Telegram, provision JetStream,
read and replay dead letters."""

from ._main import main

__all__ = ["main"]
