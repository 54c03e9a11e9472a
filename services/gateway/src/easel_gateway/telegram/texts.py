"""Everything the gateway says to Telegram users, in their language (`t`: the user's view of
the catalog, `easel_gateway.catalog`). Plain text (no parse mode), so user input echoed
back can never break formatting. Pure: these compose catalog messages, nothing more."""

from __future__ import annotations

import math
from collections import Counter
from datetime import UTC, datetime

from easel.controls import CircuitState, Pause, Standing
from easel.events import MAX_PROMPT_CHARS
from easel.i18n import Texts, about
from easel.jobs import Ending, JobRecord, JobState, QueueState
from easel.settings import ModelRegistry
from easel_gateway.core.validation import Reason, Rejected

_ECHO_LIMIT = 32  # user input quoted back in an error is cut to this many characters
_PROMPT_PREVIEW = 40  # of a prompt in /history and /status

# The bot's command list (setMyCommands): what Telegram's menu offers, in each language.
COMMANDS = ("image", "status", "cancel", "history", "models", "language", "help")
ADMIN_COMMANDS = ("allow", "deny", "pause", "resume", "stats")


def command_menu(t: Texts, admin: bool = False) -> list[tuple[str, str]]:
    names = COMMANDS + (ADMIN_COMMANDS if admin else ())
    return [(name, t(f"command-{name}")) for name in names]


def status_enhancing(t: Texts, pause_note: str | None = None) -> str:
    text = t("status-enhancing")
    return text if pause_note is None else f"{text}\n{pause_note}"


def standing_set(t: Texts, user_id: int, standing: Standing) -> str:
    # An id as text: a number would be grouped (1,234,567).
    message = "user-allowed" if standing is Standing.ALLOWED else "user-denied"
    return t(message, user=str(user_id))


def paused(t: Texts, model: str, reason: str) -> str:
    return t("paused-why", model=model, reason=reason) if reason else t("paused", model=model)


def resumed(t: Texts, model: str, was_paused: bool) -> str:
    return t("resumed" if was_paused else "not-paused", model=model)


def stats_line(
    t: Texts,
    model: str,
    state: QueueState,
    counts: Counter[str] | None,
    pause: Pause | None,
    circuit: CircuitState | None,
) -> str:
    counts = counts or Counter()
    if circuit is None or circuit.state == "closed":
        breaker = t("circuit-closed")
    else:
        since = f"{datetime.fromtimestamp(circuit.at, UTC):%H:%M:%S}"
        breaker = t(f"circuit-{circuit.state.replace('_', '-')}", since=since)
    return t(
        "stats-model",
        model=model,
        paused="yes" if pause else "no",
        circuit=breaker,
        depth=state.depth,
        wait=round(state.oldest_wait),
        requested=counts["requested"],
        delivered=counts["delivered"],
        failed=counts["failed"],
        cancelled=counts["cancelled"],
    )


def stats(t: Texts, lines: list[str]) -> str:
    return t("stats-title") + "\n" + "\n".join(lines)


def start_text(t: Texts, registry: ModelRegistry, limit: int, window: float) -> str:
    return t("start", help=help_text(t, registry, limit, window))


def help_text(t: Texts, registry: ModelRegistry, limit: int, window: float) -> str:
    default = registry.get(registry.default)
    other = next((name for name in registry.names if name != registry.default), registry.default)
    return t(
        "help",
        default=default.display_name if default else registry.default,
        other=other,
        limit=limit,
        window=f"{window:g}",
        **{"prompt-limit": MAX_PROMPT_CHARS},
        **_command("other", other),
    )


def models_text(t: Texts, registry: ModelRegistry) -> str:
    lines = [t("models-title")]
    for spec in registry.models:
        line = "models-default" if spec.name == registry.default else "models-other"
        lines.append("• " + t(line, name=spec.name, display=spec.display_name))
    usage = t("models-usage", default=registry.default, **_command("default", registry.default))
    lines.append("\n" + usage)
    return "\n".join(lines)


def rejection(t: Texts, rejected: Rejected, registry: ModelRegistry) -> str:
    model = _display(rejected.model, registry)
    match rejected.reason:
        case Reason.UNKNOWN_MODEL:
            available = ", ".join(registry.names)
            if not rejected.model:
                return t("which-model", models=available, default=registry.default)
            return t("unknown-model", name=_echo(rejected.model), models=available)
        case Reason.EMPTY_PROMPT:
            return t("empty-prompt", model=rejected.model)
        case Reason.PROMPT_TOO_LONG:
            return t("prompt-too-long", length=rejected.length, limit=MAX_PROMPT_CHARS)
        case Reason.BLOCKED:
            return t("blocked")
        case Reason.BAD_PARAMETER:
            detail = t.say(rejected.detail) if rejected.detail else ""
            return t("bad-parameter", detail=detail)
        case Reason.PHOTO_NOT_TAKEN:
            able = [s.display_name for s in registry.models if "image" in s.accepts]
            if not able:
                return t("photo-not-taken", model=model)
            return t("photo-not-taken-others", model=model, models=", ".join(able))
        case Reason.PHOTO_NEEDED:
            return t("photo-needed", model=model)


def rate_limited(t: Texts, limit: int, window: float, retry_after: float) -> str:
    wait = max(1, math.ceil(retry_after))
    return t("rate-limited", limit=limit, window=f"{window:g}", wait=wait)


def unknown_command(t: Texts, name: str) -> str:
    return t("unknown-command", **_command("name", _echo(name)))


def _command(role: str, name: str) -> dict[str, str]:
    """`/name` as one placeable (`<role>-command`): an isolate inside it, as between "/" and
    a placeable in Persian text, would keep Telegram from seeing a command to tap."""
    return {f"{role}-command": f"/{name}"}


_ENDED = {
    Ending.DELIVERING: "ended-delivering",
    Ending.FAILED: "ended-failed",
    Ending.CANCELLED: "ended-cancelled",
    JobState.DELIVERED: "ended-delivered",
    JobState.FAILED: "ended-failed",
    JobState.CANCELLED: "ended-cancelled",
}
_STAGES = {
    JobState.QUEUED: "stage-enhancing",
    JobState.ENHANCING: "stage-enhancing",
    JobState.WAITING: "stage-waiting",
    JobState.GENERATING: "stage-generating",
    JobState.SENDING: "stage-sending",
    JobState.DELIVERED: "stage-delivered",
    JobState.FAILED: "stage-failed",
    JobState.CANCELLED: "stage-cancelled",
}


def ended(t: Texts, ending: Ending | JobState) -> str:
    """The answer to a cancel that came after the job's ending."""
    return t(_ENDED.get(ending, "ended"))


def too_many_active(t: Texts, limit: int) -> str:
    return t("too-many-active", limit=limit)


def cancelled_count(t: Texts, count: int) -> str:
    return t("none-in-progress") if count == 0 else t("cancelled-count", count=count)


def status(
    t: Texts,
    records: list[JobRecord],
    places: dict[str, int],
    etas: dict[str, float],
    registry: ModelRegistry,
) -> str:
    if not records:
        return t("none-in-progress-start")
    lines = [t("status-title")]
    for record in records:
        fields = {
            "model": _display(record.model, registry),
            "stage": t(_STAGES[record.state]),
            "prompt": _preview(record),
        }
        place, eta = places.get(record.job_id), etas.get(record.job_id)
        if place is not None and eta is not None:
            line = t("status-line-place-eta", place=place, eta=about(t, eta), **fields)
        elif place is not None:
            line = t("status-line-place", place=place, **fields)
        elif eta is not None:
            line = t("status-line-eta", eta=about(t, eta), **fields)
        else:
            line = t("status-line", **fields)
        lines.append(line)
    return "\n".join(lines)


def history(t: Texts, records: list[JobRecord], registry: ModelRegistry, now: datetime) -> str:
    if not records:
        return t("history-empty")
    lines = [t("history-title", count=len(records))]
    for n, record in enumerate(records, start=1):
        line = t(
            "history-line",
            n=n,
            model=_display(record.model, registry),
            prompt=_preview(record),
            stage=t(_STAGES[record.state]),
            when=_ago(t, (now - record.requested_at).total_seconds()),
        )
        lines.append(line)
    return "\n".join(lines)


def again_label(t: Texts, n: int) -> str:
    return t("history-again", n=n)


def _preview(record: JobRecord) -> str:
    return _echo_to(record.original_prompt, _PROMPT_PREVIEW)


def _display(model: str, registry: ModelRegistry) -> str:
    spec = registry.get(model)
    return spec.display_name if spec else model


def _ago(t: Texts, seconds: float) -> str:
    for message, size in (("ago-days", 86_400), ("ago-hours", 3_600), ("ago-minutes", 60)):
        if seconds >= size:
            return t(message, count=int(seconds // size))
    return t("ago-now")


def _echo(text: str) -> str:
    return _echo_to(text, _ECHO_LIMIT)


def _echo_to(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
