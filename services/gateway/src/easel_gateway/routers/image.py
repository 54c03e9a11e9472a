"""Image commands: validate, claim the job, rate-limit, show the status, publish."""

from __future__ import annotations

from datetime import UTC, datetime

import nats.errors
import structlog
from aiogram import Router
from aiogram.types import Message, User
from nats.js import JetStreamContext

from easel import bus
from easel.settings import ModelRegistry
from easel_gateway import texts
from easel_gateway.commands import ImageRequest
from easel_gateway.jobs import image_requested, job_id
from easel_gateway.kv import JobClaims, RateLimiter
from easel_gateway.metrics import REQUESTS
from easel_gateway.routers.parsed import Parsed
from easel_gateway.telegram import edit, reply
from easel_gateway.validation import Accepted, Rejected, validate

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
    js: JetStreamContext,
) -> None:
    verdict = validate(command, registry)
    if isinstance(verdict, Rejected):
        # Bad input changes nothing: no claim, no rate-limit slot, nothing published.
        REQUESTS.labels(f"rejected_{verdict.reason}").inc()
        log.info("gateway.rejected", reason=str(verdict.reason))
        await reply(message, texts.rejection(verdict, registry))
        return
    if message.from_user is None:  # only channel posts lack a sender, and they are not routed
        return
    job = job_id(message.chat.id, message.message_id)
    with structlog.contextvars.bound_contextvars(job_id=job, model=verdict.model):
        await _submit(message, message.from_user, job, verdict, claims, limiter, js)


async def _submit(
    message: Message,
    user: User,
    job: str,
    request: Accepted,
    claims: JobClaims,
    limiter: RateLimiter,
    js: JetStreamContext,
) -> None:
    try:
        if not await claims.claim(job):
            REQUESTS.labels("rejected_duplicate").inc()
            log.info("gateway.duplicate_update")
            return
        decision = await limiter.acquire(user.id)
    except nats.errors.Error as error:
        REQUESTS.labels("failed_bus").inc()
        log.error("gateway.bus_unavailable", error=repr(error))
        await reply(message, texts.QUEUE_FAILED)
        return
    if not decision.allowed:
        REQUESTS.labels("rejected_rate_limited").inc()
        log.info("gateway.rate_limited", retry_after=round(decision.retry_after, 1))
        await reply(
            message, texts.rate_limited(limiter.limit, limiter.window, decision.retry_after)
        )
        return
    status = await reply(message, texts.STATUS_ENHANCING)
    if status is None:  # nowhere to report progress, so the job is not queued
        REQUESTS.labels("failed_telegram").inc()
        return
    event = image_requested(
        job=job,
        model=request.model,
        prompt=request.prompt,
        chat_id=message.chat.id,
        user_id=user.id,
        status_message_id=status.message_id,
        language_code=user.language_code,
        requested_at=datetime.now(UTC),
    )
    try:
        await bus.publish(js, event)
    except nats.errors.Error as error:
        REQUESTS.labels("failed_bus").inc()
        log.error("gateway.publish_failed", error=repr(error))
        await edit(status, texts.QUEUE_FAILED)
        return
    REQUESTS.labels("accepted").inc()
    log.info("gateway.accepted", status_message_id=status.message_id)
