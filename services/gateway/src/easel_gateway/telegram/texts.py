"""Everything the gateway says to users. Plain text (no parse mode), so user input echoed
back can never break formatting."""

from __future__ import annotations

import math
from collections import Counter
from datetime import UTC, datetime

from easel.controls import CircuitState, Pause, Standing
from easel.events import MAX_PROMPT_CHARS
from easel.jobs import Ending, JobRecord, JobState, QueueState, rounded
from easel.settings import ModelRegistry
from easel_gateway.core.validation import Reason, Rejected

STATUS_ENHANCING = "🎨 Enhancing prompt…"


def status_enhancing(pause_note: str | None = None) -> str:
    return STATUS_ENHANCING if pause_note is None else f"{STATUS_ENHANCING}\n{pause_note}"


QUEUE_FAILED = "⚠️ Easel could not queue your request right now; please try again."
BLOCKED = (
    "🚫 Sorry, I can't make this one: the prompt has words this bot's operator does not"
    " allow. Please rephrase it."
)
NOT_ALLOWED = "🔒 Sorry, this bot is open to invited users only. Ask its operator for access."
ADMINS_ONLY = "This command is for the bot's admins."
CONTROL_FAILED = "⚠️ NATS did not answer; nothing was changed. Please try again."


def standing_set(user_id: int, standing: Standing) -> str:
    if standing is Standing.ALLOWED:
        return f"✅ User {user_id} may use the bot."
    return f"⛔ User {user_id} may no longer use the bot."


def paused(model: str, reason: str) -> str:
    why = f" Reason shown to users: {reason}" if reason else " No reason given."
    return f"⏸ {model} is paused: its jobs wait, in order, until /resume {model}.{why}"


def resumed(model: str, was_paused: bool) -> str:
    return f"▶️ {model} resumed." if was_paused else f"{model} was not paused."


def stats_line(
    model: str,
    state: QueueState,
    counts: Counter[str] | None,
    pause: Pause | None,
    circuit: CircuitState | None,
) -> str:
    counts = counts or Counter()
    breaker = "closed" if circuit is None else circuit.state.replace("_", "-")
    if circuit is not None and circuit.state != "closed":
        breaker += f" since {datetime.fromtimestamp(circuit.at, UTC):%H:%M:%S} UTC"
    head = f"{model}: {'⏸ paused' if pause else 'running'}, circuit {breaker}"
    queue = f"queue {state.depth}, oldest wait {state.oldest_wait:.0f} s"
    hour = (
        f"last hour: {counts['requested']} requested, {counts['delivered']} delivered,"
        f" {counts['failed']} failed, {counts['cancelled']} cancelled"
    )
    return f"{head}\n  {queue}\n  {hour}"


def stats(lines: list[str]) -> str:
    return "📊 Easel\n" + "\n".join(lines)


_ECHO_LIMIT = 32  # user input quoted back in an error is cut to this many characters
_PROMPT_PREVIEW = 40  # of a prompt in /history and /status

# The bot's command list (setMyCommands): what Telegram's menu offers.
COMMANDS = (
    ("image", "Paint a picture: /image <prompt>"),
    ("status", "Your requests in progress"),
    ("cancel", "Cancel your requests in progress"),
    ("history", "Your last images"),
    ("models", "The models you can use"),
    ("help", "How to use Easel"),
)
ADMIN_COMMANDS = (
    ("allow", "Admin: let a user in: /allow <user id>"),
    ("deny", "Admin: keep a user out: /deny <user id>"),
    ("pause", "Admin: pause a model: /pause <model> [reason]"),
    ("resume", "Admin: resume a model: /resume <model>"),
    ("stats", "Admin: queues, jobs and failures per model"),
)

CANCELLED = "Cancelled."
NOT_YOURS = "This is not your request."
UNKNOWN_JOB = "This request is not known (any more)."
PHOTO_GONE = "This image is no longer available."
NO_PHOTO = "🖼️ Easel could not fetch your photo from Telegram; please send it again."
START_PHOTO_GONE = "🖼️ The photo this started from is no longer kept; please send it again."
ON_IT = "On it!"
_ENDED = {
    Ending.DELIVERING: "Too late: it is on its way.",
    Ending.FAILED: "It already failed.",
    Ending.CANCELLED: "Already cancelled.",
    JobState.DELIVERED: "Already delivered.",
    JobState.FAILED: "It already failed.",
    JobState.CANCELLED: "Already cancelled.",
}
_STAGES = {
    JobState.QUEUED: "enhancing the prompt",
    JobState.ENHANCING: "enhancing the prompt",
    JobState.WAITING: "in the queue",
    JobState.GENERATING: "generating",
    JobState.SENDING: "sending",
    JobState.DELIVERED: "delivered",
    JobState.FAILED: "failed",
    JobState.CANCELLED: "cancelled",
}


def _usage(registry: ModelRegistry) -> str:
    default = registry.get(registry.default)
    default_name = default.display_name if default else registry.default
    other = next((name for name in registry.names if name != registry.default), registry.default)
    return "\n".join(
        [
            f"/image <prompt> — an image with {default_name}",
            f"/image={other}=<prompt> — pick the model, e.g. /image={other}=a lighthouse at dusk",
            f"/{other} <prompt> — the same, shorter",
            "  after the prompt, where the model takes them: --ar 16:9  --size 1024x1024"
            "  --seed 42  --no text, watermark  --steps 30",
            "  as a photo's caption, or in reply to one, to start from it: --strength 0.5",
            "/status — your requests in progress",
            "/cancel — cancel your requests in progress",
            "/history — your last images, to get one again",
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
        case Reason.BLOCKED:
            return BLOCKED
        case Reason.BAD_PARAMETER:
            return f"⚙️ {rejected.detail}"
        case Reason.PHOTO_NOT_TAKEN:
            able = [s.display_name for s in registry.models if "image" in s.accepts]
            others = f" Models that can: {', '.join(able)}." if able else ""
            return f"🖼️ {_display(rejected.model, registry)} cannot start from a photo.{others}"
        case Reason.PHOTO_NEEDED:
            return (
                f"🖼️ {_display(rejected.model, registry)} starts from a photo: send the command"
                " as a photo's caption, or in reply to one."
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
    return _echo_to(text, _ECHO_LIMIT)


def ended(ending: Ending | JobState) -> str:
    """The answer to a cancel that came after the job's ending."""
    return _ENDED.get(ending, "It has already ended.")


def too_many_active(limit: int) -> str:
    return (
        f"⏳ You have {_count(limit, 'request')} in progress, the most at once. "
        "Wait for one to finish, or /cancel one."
    )


def cancelled_count(count: int) -> str:
    if count == 0:
        return "You have no requests in progress."
    return f"✖ Cancelled {_count(count, 'request')}."


def status(
    records: list[JobRecord],
    places: dict[str, int],
    etas: dict[str, float],
    registry: ModelRegistry,
) -> str:
    if not records:
        return "You have no requests in progress. Send /image <prompt> to start one."
    lines = ["Your requests in progress:"]
    for record in records:
        stage = _STAGES[record.state]
        if record.job_id in places:
            stage = f"{stage}, position {places[record.job_id]}"
        if record.job_id in etas:
            value, unit = rounded(etas[record.job_id])
            stage = f"{stage}, about {value} {unit}"
        lines.append(f"• {_display(record.model, registry)} — {stage}: {_preview(record)}")
    return "\n".join(lines)


def history(records: list[JobRecord], registry: ModelRegistry, now: datetime) -> str:
    if not records:
        return "No images yet. Send /image <prompt> to start one."
    lines = [f"Your last {_count(len(records), 'request')}:"]
    for n, record in enumerate(records, start=1):
        when = _ago((now - record.requested_at).total_seconds())
        model = _display(record.model, registry)
        lines.append(f"{n}. {model} · {_preview(record)} · {_STAGES[record.state]} · {when}")
    return "\n".join(lines)


def again_label(n: int) -> str:
    return f"🖼️ {n} again"


def _preview(record: JobRecord) -> str:
    prompt = _echo_to(record.original_prompt, _PROMPT_PREVIEW)
    return f"“{prompt}”"


def _display(model: str, registry: ModelRegistry) -> str:
    spec = registry.get(model)
    return spec.display_name if spec else model


def _ago(seconds: float) -> str:
    for unit, size in (("d", 86_400), ("h", 3_600), ("min", 60)):
        if seconds >= size:
            return f"{int(seconds // size)} {unit} ago"
    return "just now"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _echo_to(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
