"""The admins' commands read into what they ask for (pure: no I/O, never raises)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from easel.controls import MAX_REASON_CHARS, Standing
from easel.i18n import Phrase
from easel_gateway.core.commands import AdminRequest


@dataclass(frozen=True)
class SetStanding:
    user_id: int
    standing: Standing


@dataclass(frozen=True)
class PauseModel:
    model: str
    reason: str


@dataclass(frozen=True)
class ResumeModel:
    model: str


@dataclass(frozen=True)
class ShowStats:
    pass


@dataclass(frozen=True)
class Usage:
    """The command was malformed: say how it is written."""

    phrase: Phrase


AdminCommand = SetStanding | PauseModel | ResumeModel | ShowStats | Usage


def read(request: AdminRequest, models: Collection[str]) -> AdminCommand:
    """`models`: the configured model names (lower case)."""
    argument = request.argument
    match request.action:
        case "allow" | "deny":
            standing = Standing.ALLOWED if request.action == "allow" else Standing.DENIED
            word = argument.split(maxsplit=1)[0] if argument else ""
            if not (word.isascii() and word.isdigit()) or int(word) <= 0:  # not "²"
                return Usage(Phrase("usage-user", {"action-command": f"/{request.action}"}))
            return SetStanding(int(word), standing)
        case "pause" | "resume":
            name, rest = [*argument.split(maxsplit=1), "", ""][:2]
            model = name.lower()
            if model not in models:
                listed = ", ".join(sorted(models))
                command = f"/{request.action}"
                return Usage(Phrase("usage-model", {"action-command": command, "models": listed}))
            if request.action == "resume":
                return ResumeModel(model)
            reason = " ".join(rest.split())
            if len(reason) > MAX_REASON_CHARS:
                return Usage(Phrase("usage-reason", {"max": MAX_REASON_CHARS}))
            return PauseModel(model, reason)
        case "stats":
            return ShowStats()
