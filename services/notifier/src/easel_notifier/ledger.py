"""The delivery ledger, KV `easel_deliveries`: one key per job whose photo Telegram has
accepted, so a redelivered result sends no second photo."""

from __future__ import annotations

from datetime import UTC, datetime

from nats.js.errors import KeyNotFoundError, KeyWrongLastSequenceError
from nats.js.kv import KeyValue

from easel import bus


class Ledger:
    def __init__(self, kv: KeyValue) -> None:
        self._kv = kv

    async def delivered(self, job_id: str) -> bool:
        try:
            await self._kv.get(job_id)
        except KeyNotFoundError:  # also raised for a deleted key
            return False
        return True

    # Written right after Telegram accepted the photo: worth retrying through a restart.
    @bus.retry_transient
    async def record(self, job_id: str) -> bool:
        """Record a delivery; False if it was recorded already (another replica won, or
        this very write, whose answer was lost)."""
        try:
            await self._kv.create(job_id, datetime.now(UTC).isoformat().encode())
        except KeyWrongLastSequenceError:
            return False
        return True
