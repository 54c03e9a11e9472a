"""`easel`: run the whole system locally, submit a job without Telegram, provision JetStream,
read and replay dead letters, rebuild the job view and show one job's timeline."""

from easel.cli._main import main

__all__ = ["main"]
