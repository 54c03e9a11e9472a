"""Webhooks (pure): which URLs a job may name, how long to wait before trying again, and
the signature a receiver checks."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from urllib.parse import urlsplit

_BACKOFF_MAX = 300.0
_LOCAL_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


def url_problem(url: str) -> str | None:
    """Why `url` cannot be a webhook, whatever the address it resolves to; None if it can."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "not a URL"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "an http(s) URL with a host is needed"
    if any(ch.isspace() for ch in url):
        return "a URL has no spaces"
    return None


def private_host(host: str) -> bool:
    """A name or literal address that reaches this machine or a private network."""
    if host.lower().rstrip(".") in _LOCAL_NAMES:
        return True
    try:
        return private_address(host)
    except ValueError:
        return False  # a name: its addresses are checked when it is resolved


def private_address(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    return not ip.is_global or ip.is_multicast


def retry_delay(attempt: int) -> float:
    """Seconds before try `attempt + 1`: 2, 4, 8 … up to five minutes."""
    return float(min(2**attempt, _BACKOFF_MAX))


def signature(secret: str, body: bytes) -> str:
    """`Easel-Signature`: HMAC-SHA256 of the exact body with the key's webhook secret."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
