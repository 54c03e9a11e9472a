"""Logs, metrics and health endpoints, the same way in every service."""

from easel.telemetry import metrics
from easel.telemetry._http import ReadinessCheck, start_ops_server
from easel.telemetry._logging import configure_logging
from easel.telemetry._redact import REDACTED, RedactSecrets

__all__ = [
    "REDACTED",
    "ReadinessCheck",
    "RedactSecrets",
    "configure_logging",
    "metrics",
    "start_ops_server",
]
