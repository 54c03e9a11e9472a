"""Logs, metrics and health endpoints, the same way in every service."""

from . import metrics
from ._http import ReadinessCheck, start_ops_server
from ._logging import configure_logging
from ._redact import REDACTED, RedactSecrets

__all__ = [
    "REDACTED",
    "ReadinessCheck",
    "RedactSecrets",
    "configure_logging",
    "metrics",
    "start_ops_server",
]
