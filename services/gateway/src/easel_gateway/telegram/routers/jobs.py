"""The user's own jobs: /status, /cancel, /history, and the buttons on their messages
("✖ Cancel" on a status message, "send it again" under /history; presses of any other
button are answered here too, so no client keeps its spinner). All read the job view;
only a job's owner may press its buttons, and every press is answered."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import nats.errors
import structlog
from aiogram import Bot, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from nats.js import JetStreamContext

from easel import bus, jobs
from easel.i18n import Texts
from easel.jobs import Ending, Endings, JobRecord, JobStore, Owner, ServiceTimes
from easel.settings import ModelRegistry
from easel.telegram import Action, Press, job_button, pressed
from easel_gateway.core.commands import JobsRequest
from easel_gateway.telegram import texts
from easel_gateway.telegram.bot import reply
from easel_gateway.telegram.routers.parsed import Parsed

log = structlog.get_logger("easel.gateway")

HISTORY_SIZE = 10
_ACTIVE_SCAN = 50  # of the owner's newest jobs, where the active ones are
# A press the moment a status appeared can beat the projector to its job: it waits this long
# for the view (Telegram's client shows its spinner meanwhile) before "not known".
VIEW_CATCH_UP = 3.0


def jobs_router() -> Router:
    router = Router(name="jobs")
    router.message.register(jobs_command, Parsed(JobsRequest))
    router.callback_query.register(button_pressed)
    return router


async def jobs_command(
    message: Message,
    command: JobsRequest,
    job_views: JobStore,
    endings: Endings,
    publish: bus.Publish,
    js: JetStreamContext,
    registry: ModelRegistry,
    service_times: ServiceTimes,
    t: Texts,
) -> None:
    if message.from_user is None:
        return
    owner = Owner(channel="telegram", user=str(message.from_user.id)).key
    try:
        match command.topic:
            case "status":
                active = await _active(job_views, endings, owner)
                places = await _places(js, active)
                etas = await _estimates(active, places, registry, service_times)
                await reply(message, texts.status(t, active, places, etas, registry))
            case "cancel":
                active = await _active(job_views, endings, owner)
                endings_now = [
                    await jobs.cancel(endings, publish, r.job_id, r.model, r.context())
                    for r in active
                ]
                cancelled = sum(ending is Ending.CANCELLED for ending in endings_now)
                await reply(message, texts.cancelled_count(t, cancelled))
            case "history":
                records = await job_views.of_owner(owner, HISTORY_SIZE)
                now = datetime.now(UTC)
                await reply(message, texts.history(t, records, registry, now), _again(t, records))
    except nats.errors.Error as error:
        log.error("gateway.jobs_unavailable", topic=command.topic, error=repr(error))
        await reply(message, t("queue-failed"))


async def button_pressed(
    query: CallbackQuery,
    job_views: JobStore,
    endings: Endings,
    publish: bus.Publish,
    bot: Bot,
    t: Texts,
) -> None:
    """Every press gets its one answer, whatever it finds."""
    press = pressed(query.data)
    try:
        record = await job_views.get(press.job_id, within=VIEW_CATCH_UP) if press else None
        answer = await _act(t, query, press, record, endings, publish, bot)
    except (nats.errors.Error, TelegramAPIError) as error:
        log.error("gateway.press_failed", error=repr(error))
        answer = t("queue-failed")
    alert = answer in (t("not-yours"), t("unknown-job"))
    try:
        await query.answer(answer or None, show_alert=alert)
    except TelegramAPIError as error:  # too old: Telegram gave up waiting for the answer
        log.warning("gateway.press_answer_failed", error=str(error))


async def _act(
    t: Texts,
    query: CallbackQuery,
    press: Press | None,
    record: JobRecord | None,
    endings: Endings,
    publish: bus.Publish,
    bot: Bot,
) -> str:
    """What a press does; the text of its answer ("" for none)."""
    if press is None:
        return ""  # not one of ours: answered, so the client stops its spinner
    if record is None:
        return t("unknown-job")
    if record.owner.key != Owner(channel="telegram", user=str(query.from_user.id)).key:
        return t("not-yours")
    match press.action:
        case Action.CANCEL:
            if record.state.ended:
                return texts.ended(t, record.state)
            ending = await jobs.cancel(
                endings, publish, record.job_id, record.model, record.context()
            )
            log.info("gateway.cancel_pressed", job_id=record.job_id, ending=ending.value)
            return t("cancelled") if ending is Ending.CANCELLED else texts.ended(t, ending)
        case Action.PHOTO:
            if not record.file_id or query.message is None:
                return t("photo-gone")
            await bot.send_photo(query.message.chat.id, record.file_id)
            return ""
        case Action.AGAIN | Action.VARY:  # the again router's, which comes first
            return ""


async def _active(job_views: JobStore, endings: Endings, owner: str) -> list[JobRecord]:
    """The owner's jobs not ended yet. The view may lag its events by a moment; the
    endings store does not, so a job cancelled a moment ago is neither listed nor counted
    as cancelled again."""
    records = [r for r in await job_views.of_owner(owner, _ACTIVE_SCAN) if not r.state.ended]
    return [r for r in records if await endings.of(r.job_id) in (None, Ending.DELIVERING)]


async def _places(js: JetStreamContext, records: list[JobRecord]) -> dict[str, int]:
    """The queue positions of these jobs, read once per model they wait on."""
    models = {r.model for r in records if r.state is jobs.JobState.WAITING}
    found = await asyncio.gather(*(jobs.positions(js, model) for model in models))
    return {job: place for places in found for job, place in places.items()}


async def _estimates(
    records: list[JobRecord],
    places: dict[str, int],
    registry: ModelRegistry,
    service_times: ServiceTimes,
) -> dict[str, float]:
    """Seconds until each job's image, where its model has a history to tell."""
    now = datetime.now(UTC)
    etas: dict[str, float] = {}
    for record in records:
        service, spec = await service_times.of(record.model), registry.get(record.model)
        if service is None or spec is None:
            continue
        if record.job_id in places:
            etas[record.job_id] = jobs.ready_in(places[record.job_id], spec.capacity, service)
        elif since := record.stages.get(jobs.JobState.GENERATING):
            etas[record.job_id] = jobs.left((now - since).total_seconds(), service)
    return etas


def _again(t: Texts, records: list[JobRecord]) -> InlineKeyboardMarkup | None:
    """A "send it again" button per delivered job whose photo Telegram keeps."""
    buttons = [
        [job_button(Action.PHOTO, r.job_id, texts.again_label(t, n))]
        for n, r in enumerate(records, start=1)
        if r.file_id
    ]
    return InlineKeyboardMarkup(inline_keyboard=buttons) if buttons else None
