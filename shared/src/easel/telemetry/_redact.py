"""A structlog processor that keeps secrets out of every log line."""

from __future__ import annotations

import re
from collections.abc import Iterable, MutableMapping
from typing import Any

REDACTED = "[redacted]"
_SECRET_KEYS = re.compile(r"token|api_?key|authorization|password|secret", re.IGNORECASE)
# Bot API tokens look like 123456:ABC-…; they also hide inside URLs ("/bot<token>/").
_BOT_TOKEN = re.compile(r"\b\d{5,}:[A-Za-z0-9_-]{20,}\b")


class RedactSecrets:
    def __init__(self, secrets: Iterable[str]) -> None:
        # Longest first, so a secret that contains another is replaced whole.
        self._secrets = sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True)

    def scrub(self, value: Any) -> Any:
        if isinstance(value, str):
            for secret in self._secrets:
                value = value.replace(secret, REDACTED)
            return _BOT_TOKEN.sub(REDACTED, value)
        if isinstance(value, dict):
            return {
                k: REDACTED if _SECRET_KEYS.search(str(k)) else self.scrub(v)
                for k, v in value.items()
            }
        if isinstance(value, list | tuple):
            return type(value)(self.scrub(v) for v in value)
        return value

    def __call__(
        self, _: Any, __: str, event_dict: MutableMapping[str, Any]
    ) -> MutableMapping[str, Any]:
        for key, value in list(event_dict.items()):
            event_dict[key] = REDACTED if _SECRET_KEYS.search(key) else self.scrub(value)
        return event_dict
