"""Everything the gateway says to users. Plain text (no parse mode), so user input echoed
back can never break formatting."""

from __future__ import annotations

import math

from easel.events import MAX_PROMPT_CHARS
from easel.settings import ModelRegistry
from easel_gateway.core.validation import Reason, Rejected

STATUS_ENHANCING = "🎨 Enhancing prompt…"
QUEUE_FAILED = "⚠️ Easel could not queue your request right now; please try again."

_ECHO_LIMIT = 32  # user input quoted back in an error is cut to this many characters


def _usage(registry: ModelRegistry) -> str:
    default = registry.get(registry.default)
    default_name = default.display_name if default else registry.default
    other = next((name for name in registry.names if name != registry.default), registry.default)
    return "\n".join(
        [
            f"/image <prompt> — an image with {default_name}",
            f"/image={other}=<prompt> — pick the model, e.g. /image={other}=a lighthouse at dusk",
            f"/{other} <prompt> — the same, shorter",
            "/models — the models you can use",
            "/help — this message",
        ]
    )


def start_text(registry: ModelRegistry, limit: int, window: float) -> str:
    return (
        "👋 Hi! I'm Easel: send me a description and I'll paint it.\n\n"
        f"Try /image a cat on a windowsill\n\n{help_text(registry, limit, window)}"
    )


def help_text(registry: ModelRegistry, limit: int, window: float) -> str:
    limits = f"Prompts: up to {MAX_PROMPT_CHARS} characters. {_limit_text(limit, window)}"
    return f"{_usage(registry)}\n\n{limits}"


def models_text(registry: ModelRegistry) -> str:
    lines = ["Available models:"]
    for spec in registry.models:
        marker = " (default)" if spec.name == registry.default else ""
        lines.append(f"• {spec.name} — {spec.display_name}{marker}")
    lines.append(
        f"\nUse one with /image={registry.default}=<prompt> or /{registry.default} <prompt>"
    )
    return "\n".join(lines)


def rejection(rejected: Rejected, registry: ModelRegistry) -> str:
    match rejected.reason:
        case Reason.UNKNOWN_MODEL:
            return _unknown_model(rejected.model, registry)
        case Reason.EMPTY_PROMPT:
            return f"✏️ Empty prompt — try /image={rejected.model}=a cat on a windowsill"
        case Reason.PROMPT_TOO_LONG:
            return (
                f"✂️ Prompt is {rejected.length} characters; the limit is {MAX_PROMPT_CHARS}."
                " Please shorten it."
            )


def _unknown_model(name: str, registry: ModelRegistry) -> str:
    available = ", ".join(registry.names)
    if not name:
        return f"Which model? Available: {available}. Example: /image={registry.default}=a cat"
    return f"Unknown model “{_echo(name)}”. Available: {available}."


def rate_limited(limit: int, window: float, retry_after: float) -> str:
    wait = max(1, math.ceil(retry_after))
    return f"⏱️ Slow down: {_limit_text(limit, window).lower()} Try again in {wait} s."


def unknown_command(name: str) -> str:
    return f"I don't know /{_echo(name)}. Send /help to see what I can do."


def _limit_text(limit: int, window: float) -> str:
    return f"At most {limit} images per {window:g} s."


def _echo(text: str) -> str:
    return text if len(text) <= _ECHO_LIMIT else text[: _ECHO_LIMIT - 1] + "…"
