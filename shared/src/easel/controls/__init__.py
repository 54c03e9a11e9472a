"""The operator's controls: who may use the bot, paused models, the prompt blocklist, and
what `/stats` shows of the circuit breakers."""

from easel.controls._access import Access, Standing, may_use
from easel.controls._blocklist import Blocklist, BlocklistSettings, normalise
from easel.controls._circuits import CircuitState, CircuitStates
from easel.controls._pauses import MAX_REASON_CHARS, ModelPauses, Pause
from easel.controls._users import UserEntry, UserList

__all__ = [
    "MAX_REASON_CHARS",
    "Access",
    "Blocklist",
    "BlocklistSettings",
    "CircuitState",
    "CircuitStates",
    "ModelPauses",
    "Pause",
    "Standing",
    "UserEntry",
    "UserList",
    "may_use",
    "normalise",
]
