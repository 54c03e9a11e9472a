"""A Telegram request becoming a job, for a typed command and a button press alike: check
the user may use the bot, claim the job, rate-limit, take a place in the user's fair share,
show the status (with its "✖ Cancel", and a paused model's reason), store the photo it
starts from, publish, settle."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import nats.errors
import structlog
from aiogram import Bot
from aiogram.types import Message, User

from easel import bus
from easel.controls import ModelPauses, UserList, may_use
from easel.i18n import Texts, pause_note
from easel.jobs import Ending, Endings
from easel.telegram import cancel_keyboard
from easel_gateway.core.jobs import image_requested, telegram_user
from easel_gateway.core.validation import Accepted
from easel_gateway.metrics import REQUESTS
from easel_gateway.settings import Settings
from easel_gateway.stores.active_jobs import ActiveJobs
from easel_gateway.stores.claims import ClaimLost, HeldClaim, JobClaims
from easel_gateway.stores.photos import PhotoStore, PhotoUnavailable
from easel_gateway.stores.rate_limits import RateLimiter
from easel_gateway.telegram import texts
from easel_gateway.telegram.bot import edit, reply
from easel_gateway.telegram.photos import TelegramPhoto, download

log = structlog.get_logger("easel.gateway")


@dataclass(frozen=True)
class Request:
    """`message` is what the answers reply to: the command, or the photo whose button was
    pressed. `photo` is one to fetch and start from."""

    message: Message
    user: User
    job: str
    accepted: Accepted
    display_name: str
    t: Texts  # the user's language
    language_code: str | None  # theirs, or their /language choice: what the events carry
    photo: TelegramPhoto | None = None


@dataclass(frozen=True)
class Steps:
    """The shared state a request goes through, in order."""

    settings: Settings
    users: UserList
    claims: JobClaims
    limiter: RateLimiter
    active: ActiveJobs
    endings: Endings
    publish: bus.Publish
    pauses: ModelPauses
    photos: PhotoStore
    bot: Bot


async def submit(request: Request, steps: Steps) -> None:
    with structlog.contextvars.bound_contextvars(job_id=request.job, model=request.accepted.model):
        if not await _may_use(request, steps):
            return
        try:
            await _submit(request, steps)
        except ClaimLost:
            REQUESTS.labels("handed_over").inc()
            log.warning("gateway.claim_lost")


async def _may_use(request: Request, steps: Steps) -> bool:
    try:
        standing = await steps.users.standing(request.user.id)
    except nats.errors.Error as error:
        REQUESTS.labels("failed_bus").inc()
        log.error("gateway.bus_unavailable", error=repr(error))
        await reply(request.message, request.t("queue-failed"))
        return False
    settings = steps.settings
    if not may_use(settings.access, settings.admin_user_ids, request.user.id, standing):
        REQUESTS.labels("rejected_not_allowed").inc()
        log.info("gateway.not_allowed", standing=standing)
        await reply(request.message, request.t("not-allowed"))
        return False
    return True


async def _submit(request: Request, steps: Steps) -> None:
    """Claim → rate-limit → fair share → status message → photo → publish → settle; the
    claim records each step a takeover must not repeat (see `easel_gateway.core.claims`)."""
    message, claims, limiter, t = request.message, steps.claims, steps.limiter, request.t
    try:
        held = await claims.claim(request.job)
        if held is None:
            REQUESTS.labels("rejected_duplicate").inc()
            log.info("gateway.duplicate_update")
            return
        # A taken-over request is not charged again: the handler that died most likely took
        # its slot already (it may have waited seconds on Telegram after that), and a second
        # slot could refuse a user who stayed within the limit. Had it died before taking
        # one, the request goes free: at most one per request a crash interrupted.
        user = telegram_user(request.user.id)
        decision = None if held.taken_over else await limiter.acquire(user)
        # After the rate limit: a request it refuses takes no place. Admitting the same job
        # again (a takeover) finds its place already taken.
        admission = None
        if decision is None or decision.allowed:
            admission = await steps.active.admit(user, request.job)
    except nats.errors.Error as error:
        REQUESTS.labels("failed_bus").inc()
        log.error("gateway.bus_unavailable", error=repr(error))
        await reply(message, t("queue-failed"))
        return
    if decision is not None and not decision.allowed:
        REQUESTS.labels("rejected_rate_limited").inc()
        log.info("gateway.rate_limited", retry_after=round(decision.retry_after, 1))
        await _settle(claims, held)
        await reply(
            message, texts.rate_limited(t, limiter.limit, limiter.window, decision.retry_after)
        )
        return
    if admission is not None and not admission.allowed:
        REQUESTS.labels("rejected_too_many_active").inc()
        log.info("gateway.too_many_active", active=len(admission.active))
        await _settle(claims, held)
        await reply(message, texts.too_many_active(t, steps.active.limit))
        return
    if held.status_message_id is None:
        note = await _pause_note(steps.pauses, request)
        buttons = cancel_keyboard(request.job, t("button-cancel"))
        status = await reply(message, texts.status_enhancing(t, note), buttons)
        if status is None:  # nowhere to report progress, so the job is not queued
            REQUESTS.labels("failed_telegram").inc()
            await _not_queued(steps, held)
            return
        try:
            held = await claims.record_status(held, status.message_id)
        except nats.errors.Error as error:
            await _publish_failed(request, steps, status.message_id, error)
            await _not_queued(steps, held)
            return
    await _publish(request, held, steps)


async def _pause_note(pauses: ModelPauses, request: Request) -> str | None:
    """A courtesy: a read that fails shows no note rather than failing the request."""
    try:
        pause = await pauses.of(request.accepted.model)
    except nats.errors.Error as error:
        log.warning("gateway.pause_unknown", error=repr(error))
        return None
    return None if pause is None else pause_note(request.t, request.display_name, pause)


async def _publish(request: Request, held: HeldClaim, steps: Steps) -> None:
    assert held.status_message_id is not None
    params = request.accepted.params
    try:
        if request.photo is not None:
            file_id = request.photo.file_id
            stored = await steps.photos.store(
                request.job, lambda: download(steps.bot, file_id), taken_over=held.taken_over
            )
            params = params.model_copy(update={"init_image": stored})
        event = image_requested(
            job=request.job,
            model=request.accepted.model,
            prompt=request.accepted.prompt,
            chat_id=request.message.chat.id,
            user_id=request.user.id,
            status_message_id=held.status_message_id,
            language_code=request.language_code,
            requested_at=datetime.now(UTC),
            params=params,
        )
        await steps.publish(event)
    except PhotoUnavailable as error:
        REQUESTS.labels("failed_photo").inc()
        log.warning("gateway.photo_unavailable", error=str(error))
        text = request.t("no-photo")
        await edit(steps.bot, request.message.chat.id, held.status_message_id, text)
        await _not_queued(steps, held)
        return
    except (nats.errors.Error, TimeoutError, RuntimeError) as error:  # NATS, or its store
        await _publish_failed(request, steps, held.status_message_id, error)
        await _not_queued(steps, held)
        return
    await _settle(steps.claims, held)
    REQUESTS.labels("accepted").inc()
    log.info("gateway.accepted", status_message_id=held.status_message_id)


async def _publish_failed(
    request: Request, steps: Steps, status_message_id: int, error: Exception
) -> None:
    REQUESTS.labels("failed_bus").inc()
    log.error("gateway.publish_failed", error=repr(error))
    text = request.t("queue-failed")
    await edit(steps.bot, request.message.chat.id, status_message_id, text)


async def _not_queued(steps: Steps, held: HeldClaim) -> None:
    """The job will not run: it ends (failed), which frees its place in the fair share."""
    await _settle(steps.claims, held)
    try:
        await steps.endings.claim(held.job_id, Ending.FAILED)
    except nats.errors.Error as error:  # the place frees itself once the job is stale
        log.warning("gateway.ending_unrecorded", error=repr(error))


async def _settle(claims: JobClaims, held: HeldClaim) -> None:
    """Best effort: the user has the answer already. An unsettled claim only delays a later
    duplicate: it waits, takes over and publishes again, a copy that `Nats-Msg-Id` drops
    within the stream's duplicate window."""
    try:
        await claims.settle(held)
    except (nats.errors.Error, ClaimLost) as error:
        log.warning("gateway.settle_failed", error=repr(error))
