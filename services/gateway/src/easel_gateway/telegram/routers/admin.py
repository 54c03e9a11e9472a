"""The admins' controls in Telegram: /allow, /deny, /pause, /resume, /stats. Anyone else
is told the command is for admins; nothing changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import nats.errors
import structlog
from aiogram import Router
from aiogram.types import Message

from easel.controls import CircuitStates, ModelPauses, UserList
from easel.i18n import Texts
from easel.jobs import queue_state, recent
from easel.settings import ModelRegistry
from easel_gateway.core import admin
from easel_gateway.core.commands import AdminRequest
from easel_gateway.settings import Settings
from easel_gateway.telegram import texts
from easel_gateway.telegram.bot import reply
from easel_gateway.telegram.routers.parsed import Parsed

log = structlog.get_logger("easel.gateway")

_STATS_WINDOW = timedelta(hours=1)


def admin_router() -> Router:
    router = Router(name="admin")
    router.message.register(admin_command, Parsed(AdminRequest))
    return router


async def admin_command(
    message: Message,
    command: AdminRequest,
    settings: Settings,
    registry: ModelRegistry,
    users: UserList,
    pauses: ModelPauses,
    circuits: CircuitStates,
    t: Texts,
) -> None:
    sender = message.from_user
    if sender is None or sender.id not in settings.admin_user_ids:
        await reply(message, t("admins-only"))
        return
    by = f"telegram:{sender.id}"
    try:
        match admin.read(command, registry.names):
            case admin.Usage(phrase=usage):
                answer = t.say(usage)
            case admin.SetStanding(user_id=user_id, standing=standing):
                await users.set(user_id, standing, by)
                log.info("gateway.user_standing_set", user=user_id, standing=standing, by=by)
                answer = texts.standing_set(t, user_id, standing)
            case admin.PauseModel(model=model, reason=reason):
                await pauses.pause(model, reason, by)
                log.info("gateway.model_paused", paused_model=model, by=by)
                answer = texts.paused(t, model, reason)
            case admin.ResumeModel(model=model):
                was = await pauses.resume(model)
                log.info("gateway.model_resumed", resumed_model=model, by=by, was_paused=was)
                answer = texts.resumed(t, model, was)
            case admin.ShowStats():
                answer = await _stats(t, registry, pauses, circuits)
    except nats.errors.Error as error:
        log.error("gateway.bus_unavailable", error=repr(error))
        answer = t("control-failed")
    await reply(message, answer)


async def _stats(
    t: Texts, registry: ModelRegistry, pauses: ModelPauses, circuits: CircuitStates
) -> str:
    counts = await recent(pauses.js, datetime.now(UTC) - _STATS_WINDOW)
    lines = []
    for name in registry.names:
        state = await queue_state(pauses.js, name)
        pause = await pauses.of(name)
        circuit = await circuits.of(name)
        lines.append(texts.stats_line(t, name, state, counts.get(name), pause, circuit))
    return texts.stats(t, lines)
