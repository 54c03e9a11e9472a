"""Parse a message text into one of the gateway's commands. Pure: no I/O, never raises.

Accepted forms (command and model names are case-insensitive, `@<bot>` may follow the
command word):
    /image=<model>=<prompt>     /image <model> <prompt>     /<model> <prompt>
    /image <prompt>  (the default model)      /start   /help   /models
    /cancel   /status   /history   (the user's own jobs)
    /language [code]   (the language the bot answers in)
    /allow <user id>   /deny <user id>   /pause <model> [reason]   /resume <model>   /stats
                                     (the admins' controls; see `easel_gateway.core.admin`)
Text that does not start with a command word is not for us (None). An unknown command
word is returned as `UnknownCommand`, so the router can point the user at /help.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Literal

HelpTopic = Literal["start", "help", "models"]
_HELP_TOPICS: dict[str, HelpTopic] = {"start": "start", "help": "help", "models": "models"}
JobsTopic = Literal["cancel", "status", "history"]
_JOBS_TOPICS: dict[str, JobsTopic] = {"cancel": "cancel", "status": "status", "history": "history"}
AdminAction = Literal["allow", "deny", "pause", "resume", "stats"]
_ADMIN_ACTIONS: dict[str, AdminAction] = {
    "allow": "allow",
    "deny": "deny",
    "pause": "pause",
    "resume": "resume",
    "stats": "stats",
}

# The command word ends at whitespace or at the `=` of the `/image=<model>=…` form.
_COMMAND = re.compile(r"/(?P<name>[A-Za-z0-9_-]+)(?:@(?P<bot>[A-Za-z0-9_]+))?(?=[\s=]|\Z)")
# Bidi controls: a Persian text's isolates come along when a user copies a command from it.
_BIDI = dict.fromkeys(
    map(ord, "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
)
_MODEL_IN_EQUALS_FORM = re.compile(r"=(?P<model>[^=\s]*)\s*=?(?P<prompt>.*)", re.DOTALL)


@dataclass(frozen=True)
class HelpRequest:
    topic: HelpTopic


@dataclass(frozen=True)
class JobsRequest:
    """About the user's own jobs: cancel the active ones, their status, the last ones."""

    topic: JobsTopic


@dataclass(frozen=True)
class AdminRequest:
    """An operator's control; its argument is raw text, read by `core.admin`."""

    action: AdminAction
    argument: str


@dataclass(frozen=True)
class LanguageRequest:
    """`/language` (offer the choice) or `/language fa` (choose); `choice` is raw text."""

    choice: str


@dataclass(frozen=True)
class ImageRequest:
    """`model` is None for the default model; both fields are raw, not yet validated."""

    model: str | None
    prompt: str


@dataclass(frozen=True)
class UnknownCommand:
    name: str
    addressed: bool  # carried an `@<our bot>` suffix, so it was surely meant for us


Command = HelpRequest | JobsRequest | AdminRequest | LanguageRequest | ImageRequest | UnknownCommand


def parse(text: str, models: Collection[str], bot_username: str | None = None) -> Command | None:
    """The command in `text`, or None when the text is not a command addressed to us.

    `models` are the configured model names (lower case). A command with an `@<bot>`
    suffix naming another bot is not ours; without `bot_username` any suffix is accepted.
    """
    text = text.translate(_BIDI)
    match = _COMMAND.match(text)
    if match is None:
        return None
    suffix = match["bot"]
    if suffix and bot_username and suffix.lower() != bot_username.lower():
        return None
    name = match["name"].lower()
    rest = text[match.end() :]
    if topic := _HELP_TOPICS.get(name):
        return HelpRequest(topic)
    if jobs_topic := _JOBS_TOPICS.get(name):
        return JobsRequest(jobs_topic)
    if action := _ADMIN_ACTIONS.get(name):
        return AdminRequest(action, rest.strip())
    if name == "language":
        return LanguageRequest(rest.strip())
    if name == "image":
        return _image(rest, models)
    if name in models:
        return ImageRequest(name, rest.removeprefix("="))
    return UnknownCommand(match["name"], addressed=bool(suffix))


def _image(rest: str, models: Collection[str]) -> ImageRequest:
    if equals_form := _MODEL_IN_EQUALS_FORM.fullmatch(rest):
        return ImageRequest(equals_form["model"].lower(), equals_form["prompt"])
    words = rest.split(maxsplit=1)
    if words and words[0].lower() in models:
        return ImageRequest(words[0].lower(), words[1] if len(words) > 1 else "")
    return ImageRequest(None, rest)
