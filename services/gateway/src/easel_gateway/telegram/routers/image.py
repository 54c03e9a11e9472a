"""Image commands: validate (the blocklist too), check the user may use the bot, claim the
job, rate-limit, take a place in the user's fair share, show the status (with its
"✖ Cancel", and a paused model's reason), publish, settle."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import nats.errors
import structlog
from aiogram import Bot, Router
from aiogram.types import Message, User

from easel import bus
from easel.controls import Blocklist, ModelPauses, UserList, may_use, pause_note
from easel.jobs import Ending, Endings
from easel.settings import ModelRegistry
from easel.telegram import cancel_keyboard
from easel_gateway.core.commands import ImageRequest
from easel_gateway.core.jobs import image_requested, job_id, telegram_user
from easel_gateway.core.validation import Accepted, Rejected, validate
from easel_gateway.metrics import REQUESTS
from easel_gateway.settings import Settings
from easel_gateway.stores.active_jobs import ActiveJobs
from easel_gateway.stores.claims import ClaimLost, HeldClaim, JobClaims
from easel_gateway.stores.rate_limits import RateLimiter
from easel_gateway.telegram import texts
from easel_gateway.telegram.bot import edit, reply
from easel_gateway.telegram.routers.parsed import Parsed

log = structlog.get_logger("easel.gateway")


def image_router() -> Router:
    router = Router(name="image")
    router.message.register(image_command, Parsed(ImageRequest))
    return router


async def image_command(
    message: Message,
    command: ImageRequest,
    registry: ModelRegistry,
    claims: JobClaims,
    limiter: RateLimiter,
    active: ActiveJobs,
    endings: Endings,
    publish: bus.Publish,
    bot: Bot,
    settings: Settings,
    users: UserList,
    pauses: ModelPauses,
    blocklist: Blocklist,
) -> None:
    verdict = validate(command, registry, blocklist)
    if isinstance(verdict, Rejected):
        # Bad input changes nothing: no claim, no rate-limit slot, nothing published.
        REQUESTS.labels(f"rejected_{verdict.reason}").inc()
        log.info("gateway.rejected", reason=str(verdict.reason))
        await reply(message, texts.rejection(verdict, registry))
        return
    if message.from_user is None:  # only channel posts lack a sender, and they are not routed
        return
    try:
        standing = await users.standing(message.from_user.id)
    except nats.errors.Error as error:
        REQUESTS.labels("failed_bus").inc()
        log.error("gateway.bus_unavailable", error=repr(error))
        await reply(message, texts.QUEUE_FAILED)
        return
    if not may_use(settings.access, settings.admin_user_ids, message.from_user.id, standing):
        REQUESTS.labels("rejected_not_allowed").inc()
        log.info("gateway.not_allowed", standing=standing)
        await reply(message, texts.NOT_ALLOWED)
        return
    job = job_id(message.chat.id, message.message_id)
    spec = registry.get(verdict.model)
    display = spec.display_name if spec else verdict.model
    request = _Request(message, message.from_user, job, verdict, bot, display)
    steps = _Steps(claims, limiter, active, endings, publish, pauses)
    with structlog.contextvars.bound_contextvars(job_id=job, model=verdict.model):
        try:
            await _submit(request, steps)
        except ClaimLost:
            REQUESTS.labels("handed_over").inc()
            log.warning("gateway.claim_lost")


@dataclass(frozen=True)
class _Request:
    message: Message
    user: User
    job: str
    accepted: Accepted
    bot: Bot
    display_name: str


@dataclass(frozen=True)
class _Steps:
    """The shared state a request goes through, in order."""

    claims: JobClaims
    limiter: RateLimiter
    active: ActiveJobs
    endings: Endings
    publish: bus.Publish
    pauses: ModelPauses


async def _submit(request: _Request, steps: _Steps) -> None:
    """Claim → rate-limit → fair share → status message → publish → settle; the claim
    records each step a takeover must not repeat (see `easel_gateway.core.claims`)."""
    message, claims, limiter = request.message, steps.claims, steps.limiter
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
        await reply(message, texts.QUEUE_FAILED)
        return
    if decision is not None and not decision.allowed:
        REQUESTS.labels("rejected_rate_limited").inc()
        log.info("gateway.rate_limited", retry_after=round(decision.retry_after, 1))
        await _settle(claims, held)
        await reply(
            message, texts.rate_limited(limiter.limit, limiter.window, decision.retry_after)
        )
        return
    if admission is not None and not admission.allowed:
        REQUESTS.labels("rejected_too_many_active").inc()
        log.info("gateway.too_many_active", active=len(admission.active))
        await _settle(claims, held)
        await reply(message, texts.too_many_active(steps.active.limit))
        return
    if held.status_message_id is None:
        note = await _pause_note(steps.pauses, request)
        status = await reply(message, texts.status_enhancing(note), cancel_keyboard(request.job))
        if status is None:  # nowhere to report progress, so the job is not queued
            REQUESTS.labels("failed_telegram").inc()
            await _not_queued(steps, held)
            return
        try:
            held = await claims.record_status(held, status.message_id)
        except nats.errors.Error as error:
            await _publish_failed(request, status.message_id, error)
            await _not_queued(steps, held)
            return
    await _publish(request, held, steps)


async def _pause_note(pauses: ModelPauses, request: _Request) -> str | None:
    """A courtesy: a read that fails shows no note rather than failing the request."""
    try:
        pause = await pauses.of(request.accepted.model)
    except nats.errors.Error as error:
        log.warning("gateway.pause_unknown", error=repr(error))
        return None
    return None if pause is None else pause_note(request.display_name, pause)


async def _publish(request: _Request, held: HeldClaim, steps: _Steps) -> None:
    assert held.status_message_id is not None
    event = image_requested(
        job=request.job,
        model=request.accepted.model,
        prompt=request.accepted.prompt,
        chat_id=request.message.chat.id,
        user_id=request.user.id,
        status_message_id=held.status_message_id,
        language_code=request.user.language_code,
        requested_at=datetime.now(UTC),
        params=request.accepted.params,
    )
    try:
        await steps.publish(event)
    except nats.errors.Error as error:
        await _publish_failed(request, held.status_message_id, error)
        await _not_queued(steps, held)
        return
    await _settle(steps.claims, held)
    REQUESTS.labels("accepted").inc()
    log.info("gateway.accepted", status_message_id=held.status_message_id)


async def _publish_failed(request: _Request, status_message_id: int, error: Exception) -> None:
    REQUESTS.labels("failed_bus").inc()
    log.error("gateway.publish_failed", error=repr(error))
    await edit(request.bot, request.message.chat.id, status_message_id, texts.QUEUE_FAILED)


async def _not_queued(steps: _Steps, held: HeldClaim) -> None:
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
