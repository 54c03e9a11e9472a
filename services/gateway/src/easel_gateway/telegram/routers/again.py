"""The buttons under a delivered photo: "🔁 Again" asks for the same prompt and parameters
with a new seed; "🎲 Variation" for image-to-image of the photo, at a low strength. Each
press is a new job, submitted as a typed command is (`telegram.submit`): the same access,
rate limit and fair share. Only the job's owner may press them."""

from __future__ import annotations

import nats.errors
import structlog
from aiogram import Router
from aiogram.exceptions import TelegramAPIError
from aiogram.types import CallbackQuery, Message

from easel.controls import Blocklist
from easel.events import Params
from easel.i18n import Texts
from easel.jobs import JobRecord, JobStore, Owner
from easel.settings import ModelRegistry, ModelSpec
from easel.telegram import Action, Press
from easel_gateway.core.jobs import press_job_id
from easel_gateway.core.validation import Accepted, Reason, Rejected
from easel_gateway.telegram import texts
from easel_gateway.telegram.photos import TelegramPhoto, largest
from easel_gateway.telegram.routers.jobs import VIEW_CATCH_UP
from easel_gateway.telegram.routers.parsed import Pressed
from easel_gateway.telegram.submit import Request, Steps, submit

log = structlog.get_logger("easel.gateway")

ALERT_CHARS = 200  # Telegram's limit on a press's answer
# A variation keeps the picture's composition and changes its details.
VARIATION_STRENGTH = 0.35


def again_router() -> Router:
    router = Router(name="again")
    router.callback_query.register(again_pressed, Pressed(Action.AGAIN, Action.VARY))
    return router


async def again_pressed(
    query: CallbackQuery,
    press: Press,
    job_views: JobStore,
    registry: ModelRegistry,
    blocklist: Blocklist,
    steps: Steps,
    t: Texts,
    language_code: str | None,
) -> None:
    """Answered first (the client shows a spinner until then), then submitted: what the
    submission says (a status, or why not) comes as a reply to the photo."""
    try:
        record = await job_views.get(press.job_id, within=VIEW_CATCH_UP)
        request = await _request(query, press, record, registry, blocklist, steps, t, language_code)
    except nats.errors.Error as error:
        log.error("gateway.press_failed", error=repr(error))
        request = t("queue-failed")
    try:
        if isinstance(request, Request):
            await query.answer(t("on-it"))
        else:
            await query.answer(request[:ALERT_CHARS], show_alert=True)
    except TelegramAPIError as error:  # too old: Telegram gave up waiting for the answer
        log.warning("gateway.press_answer_failed", error=str(error))
    if isinstance(request, Request):
        log.info("gateway.again_pressed", action=press.action.value, source=press.job_id)
        await submit(request, steps)


async def _request(
    query: CallbackQuery,
    press: Press,
    record: JobRecord | None,
    registry: ModelRegistry,
    blocklist: Blocklist,
    steps: Steps,
    t: Texts,
    language_code: str | None,
) -> Request | str:
    """The new job the press asks for; or, in words, why there is none."""
    if record is None:
        return t("unknown-job")
    if record.owner.key != Owner(channel="telegram", user=str(query.from_user.id)).key:
        return t("not-yours")
    message = query.message
    if not isinstance(message, Message):  # deleted, or too old for the bot to see
        return t("photo-gone")
    spec = registry.get(record.model)
    if spec is None:
        return texts.rejection(t, Rejected(Reason.UNKNOWN_MODEL, record.model), registry)
    if blocklist.blocks(record.original_prompt):  # the list may have grown since
        return t("blocked")
    # A new seed: the same one would make the same picture.
    params = Params.model_validate(record.parameters).model_copy(update={"seed": None})
    photo: TelegramPhoto | None = None
    if press.action is Action.AGAIN:
        if record.init_image is not None and not await steps.photos.kept(record.init_image):
            return t("start-photo-gone")
        params = params.model_copy(update={"init_image": record.init_image})
    else:
        photo = largest(message.photo) if message.photo else None
        if "image" not in spec.accepts:
            return texts.rejection(t, Rejected(Reason.PHOTO_NOT_TAKEN, record.model), registry)
        if photo is None:
            return t("photo-gone")
        params = params.model_copy(update={"strength": _strength(spec)})
    accepted = Accepted(record.model, record.original_prompt, params)
    job = press_job_id(message.chat.id, query.id)
    display = spec.display_name
    return Request(message, query.from_user, job, accepted, display, t, language_code, photo)


def _strength(spec: ModelSpec) -> float | None:
    return VARIATION_STRENGTH if "strength" in spec.accepts else None
