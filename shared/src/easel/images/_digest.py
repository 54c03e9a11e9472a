"""The one reading of an object's digest, as nats-py writes it: "SHA-256=<urlsafe base64>"."""

from __future__ import annotations

import base64
import binascii


def sha256_of(digest: str | None) -> bytes | None:
    """The raw SHA-256 an object's digest names, or None when it names none."""
    kind, separator, encoded = (digest or "").partition("=")
    if not separator or kind.upper() != "SHA-256":
        return None
    try:
        raw = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
    except (binascii.Error, ValueError):
        return None
    return raw if len(raw) == 32 else None
