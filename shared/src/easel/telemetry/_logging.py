"""structlog setup: JSON for log pipelines, console for a terminal; stdlib logs go the same way."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable

import stamina.instrumentation
import structlog

from easel.telemetry._redact import RedactSecrets

_retries = structlog.get_logger("easel.retry")


def configure_logging(
    service: str, *, level: str = "INFO", fmt: str = "json", secrets: Iterable[str] = ()
) -> None:
    redact = RedactSecrets(secrets)
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _add_service(service),
        structlog.processors.format_exc_info,
        redact,
    ]
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer()
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
            foreign_pre_chain=shared,
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Library chatter (aiohttp access logs, aiogram's polling notes) stays at WARNING.
    # httpx logs every request URL at INFO, and a Flux URL carries the prompt.
    for noisy in ("aiohttp.access", "aiogram.event", "aiogram.dispatcher", "httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    # stamina's own log line carries the retried call's arguments: an event, a job record,
    # so a prompt. This one says what was retried and why, nothing it was called with.
    stamina.instrumentation.set_on_retry_hooks(
        [_log_retry, stamina.instrumentation.PrometheusOnRetryHook]
    )


def _log_retry(details: stamina.instrumentation.RetryDetails) -> None:
    _retries.warning(
        "stamina.retry_scheduled",
        callable=details.name,
        retry_num=details.retry_num,
        wait_for=round(details.wait_for, 2),
        waited_so_far=round(details.waited_so_far, 2),
        caused_by=repr(details.caused_by),
    )


def _add_service(service: str) -> structlog.types.Processor:
    def add(_: object, __: str, event_dict: structlog.types.EventDict) -> structlog.types.EventDict:
        event_dict.setdefault("service", service)
        return event_dict

    return add
