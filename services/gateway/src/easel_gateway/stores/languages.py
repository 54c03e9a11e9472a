"""The language each Telegram user chose with /language (KV `easel_controls`,
`language.<user id>`): it outranks the one their Telegram app reports, on every replica
and across restarts."""

from __future__ import annotations

from dataclasses import dataclass

from nats.js.errors import KeyNotFoundError
from nats.js.kv import KeyValue

from easel.i18n import LANGUAGES

_PREFIX = "language."


@dataclass(frozen=True)
class LanguageChoices:
    kv: KeyValue

    async def of(self, user_id: int) -> str | None:
        try:
            entry = await self.kv.get(f"{_PREFIX}{user_id}")
        except KeyNotFoundError:
            return None
        chosen = (entry.value or b"").decode(errors="replace")
        return chosen if chosen in LANGUAGES else None

    async def choose(self, user_id: int, language: str) -> None:
        if language not in LANGUAGES:
            raise ValueError(f"not a language Easel speaks: {language!r}")
        await self.kv.put(f"{_PREFIX}{user_id}", language.encode())
