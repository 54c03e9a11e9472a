"""The delivery ledger, KV `easel_deliveries`: one key per job whose photo Telegram has
accepted, with the photo's file_id, so a redelivered result sends no second photo and can
still say which photo the user has."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

from nats.js.errors import KeyNotFoundError, KeyWrongLastSequenceError
from nats.js.kv import KeyValue

from easel import bus


@dataclass(frozen=True)
class Delivered:
    file_id: str | None


class Ledger:
    def __init__(self, kv: KeyValue) -> None:
        self._kv = kv

    async def delivered(self, job_id: str) -> Delivered | None:
        try:
            entry = await self._kv.get(job_id)
        except KeyNotFoundError:  # also raised for a deleted key
            return None
        try:
            file_id = json.loads(entry.value or b"").get("file_id")
        except (ValueError, AttributeError):  # a record from before file ids were kept
            file_id = None
        return Delivered(file_id if isinstance(file_id, str) else None)

    # Written right after Telegram accepted the photo: worth retrying through a restart.
    @bus.retry_transient
    async def record(self, job_id: str, file_id: str | None) -> bool:
        """Record a delivery; False if it was recorded already (another replica won, or
        this very write, whose answer was lost)."""
        value = {"at": datetime.now(UTC).isoformat(), "file_id": file_id}
        try:
            await self._kv.create(job_id, json.dumps(value).encode())
        except KeyWrongLastSequenceError:
            return False
        return True
