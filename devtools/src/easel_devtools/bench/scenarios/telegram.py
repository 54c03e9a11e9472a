"""Through Telegram's limits: the Bot API stand-in enforces 30 calls/s per bot and about one
per second per chat (bursts of 3); 100 chats send 3 requests each at once; backends are
instant, capacity 1, the notifier runs with its production pacing.

`run`: one gateway (polling) and one notifier. `run_replicas`: 3 gateways (webhook) and
2 notifiers, first sharing the bot's budget through NATS, then, for comparison in the same
run, with each process counting only its own calls (a budget too large to bind).
"""

from __future__ import annotations

import time

from easel_devtools.bench.measures import position_ages, status_messages
from easel_devtools.bench.plan import Plan
from easel_devtools.bench.report import Outcome, Row
from easel_devtools.bench.rig import Rig, new_chat
from easel_devtools.bench.stats import summarise
from easel_devtools.standins.botapi import UNLIMITED

PHOTOS_PER_SECOND_TARGET = 9.0
CALLS_PER_PHOTO_TARGET = 3.3
RETRY_AFTER_SHARE_TARGET = 0.01  # of the bot's limited calls, with replicas
STALE_TARGET = 10.0
DEADLINE = 180.0  # seconds for every photo; 300 need ≈ 30 s at Telegram's 30 calls/s
STALLED = 20.0  # no photo and no deletion for this long: the rest is not coming
GATEWAYS, NOTIFIERS = 3, 2


def _prompt(chat: int, n: int) -> str:
    return f"request {n} from chat {chat} end"


async def run(plan: Plan) -> Outcome:
    async with Rig(flood_limits=True) as rig:
        rows, data = await _through_limits(rig, plan, "")
    return Outcome("telegram", rows, data)


async def run_replicas(plan: Plan) -> Outcome:
    rows: list[Row] = []
    data: dict[str, object] = {}
    for shared, label in ((True, "shared budget"), (False, "each process alone")):
        env = {} if shared else {"TELEGRAM_BOT_CALLS_PER_SECOND": "1000"}
        async with Rig(flood_limits=True, webhook=True, env=env) as rig:
            for _ in range(GATEWAYS - 1):
                rig.add_replica("gateway")
            for _ in range(NOTIFIERS - 1):
                rig.add_replica("notifier")
            found, figures = await _through_limits(
                rig, plan, f"{GATEWAYS} gateways + {NOTIFIERS} notifiers, {label}", shared
            )
        rows += found
        data["shared" if shared else "alone"] = figures
    return Outcome("telegram_replicas", rows, data)


async def _through_limits(
    rig: Rig, plan: Plan, deployment: str, targets: bool = True
) -> tuple[list[Row], dict[str, object]]:
    chats = [new_chat() for _ in range(plan.telegram_chats)]
    total = len(chats) * plan.telegram_per_chat
    began = time.monotonic()
    for n in range(plan.telegram_per_chat):
        for chat in chats:
            rig.send(_prompt(chat, n), chat)
    await rig.posted()
    await _until_done_or_stalled(rig, total)
    end = time.monotonic()
    calls = rig.telegram.calls
    responses = rig.telegram.responses
    retry_afters = rig.telegram.retry_after_count
    chat_messages = {chat: rig.telegram.messages(chat) for chat in chats}
    photos = [m for ms in chat_messages.values() for m in ms if m.photo is not None]
    asked = min(m.created_at for ms in chat_messages.values() for m in ms if not m.from_bot)
    photo_rate = len(photos) / (max(m.created_at for m in photos) - asked) if photos else 0.0
    limited = {method: count for method, count in calls.items() if method not in UNLIMITED}
    calls_per_photo = sum(limited.values()) / max(len(photos), 1)
    refused_share = retry_afters / max(sum(limited.values()), 1)
    ages = [age for ms in chat_messages.values() for age in position_ages(ms, end)]
    oldest = max(ages, default=0.0)
    copies = [
        sum(_prompt(chat, n) in (m.caption or "") for m in ms if m.photo is not None)
        for chat, ms in chat_messages.items()
        for n in range(plan.telegram_per_chat)
    ]
    missing, twice = copies.count(0), sum(1 for c in copies if c > 1)
    once = missing == 0 and twice == 0
    statuses = [m for ms in chat_messages.values() for m in status_messages(ms)]
    unanswered = total - len(statuses)  # requests that never got a status message
    statuses_left = sum(1 for m in statuses if not m.deleted)
    where = f", {deployment}" if deployment else ""
    rows = [
        Row(
            f"Telegram limits: photos/s ({total} requests, {len(chats)} chats at once{where})",
            f"{photo_rate:.2f}",
            "",
            "≥ 9" if targets else "",
            photo_rate >= PHOTOS_PER_SECOND_TARGET if targets else None,
        ),
        Row(
            "  Telegram calls per delivered photo (429s included)",
            f"{calls_per_photo:.2f}",
            ", ".join(f"{m} {c}" for m, c in sorted(limited.items())),
            "≤ ~3.3" if targets else "",
            calls_per_photo <= CALLS_PER_PHOTO_TARGET if targets else None,
        ),
        Row(
            "  429s received, share of limited calls",
            f"{retry_afters} ({refused_share:.1%})",
            _by_method(responses),
            "≤ 1 %" if targets and deployment else "",
            refused_share <= RETRY_AFTER_SHARE_TARGET if targets and deployment else None,
        ),
        Row(
            "  oldest a position text got before refreshed, s",
            f"{oldest:.1f}" if ages else "n/a",
            f"{len(ages)} position texts shown" if ages else "no queue formed: none shown",
            "≤ 10 s" if targets else "",
            oldest <= STALE_TARGET if targets and ages else None,
        ),
        Row(
            "  every photo delivered exactly once",
            "yes" if once else f"NO: {missing} missing, {twice} sent twice",
            f"{len(photos)}/{total} photos; {unanswered} requests never got a status message;"
            f" {statuses_left} status messages left",
            "exactly once" if targets else "",
            once if targets else None,
        ),
    ]
    data = {
        "photos": len(photos),
        "photos_per_second": photo_rate,
        "seconds": end - began,
        "calls": dict(calls),
        "calls_per_photo": calls_per_photo,
        "responses": {f"{m} {s}": c for (m, s), c in responses.items()},
        "retry_afters": retry_afters,
        "retry_after_share": refused_share,
        "position_ages": summarise(ages).as_dict(),
        "exactly_once": once,
        "missing": missing,
        "sent_twice": twice,
        "requests_without_status": unanswered,
        "timed_out": len(photos) < total,
    }
    return rows, data


async def _until_done_or_stalled(rig: Rig, total: int) -> None:
    """Every photo sent and every status message deleted (deletions cost calls too), or no
    progress for STALLED seconds (requests the gateway gave up on never complete)."""
    deadline = time.monotonic() + DEADLINE

    def progress() -> int:
        return rig.delivered() + rig.telegram.responses[("deleteMessage", 200)]

    while (seen := progress()) < 2 * total and time.monotonic() < deadline:
        try:
            await rig.telegram.wait_for_async(lambda: progress() > seen, timeout=STALLED)
        except TimeoutError:
            return


def _by_method(responses: dict[tuple[str, int], int]) -> str:
    refused = {m: c for (m, status), c in responses.items() if status == 429}
    return ", ".join(f"{m} {c}" for m, c in sorted(refused.items())) or "none"
