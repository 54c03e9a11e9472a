"""Image commands, typed or sent as a photo's caption (or in reply to a photo, which the
job then starts from): validate (the blocklist too), then submit (`telegram.submit`)."""

from __future__ import annotations

import structlog
from aiogram import Router
from aiogram.types import Message

from easel.controls import Blocklist
from easel.i18n import Texts
from easel.settings import ModelRegistry
from easel_gateway.core.commands import ImageRequest
from easel_gateway.core.jobs import job_id
from easel_gateway.core.validation import Rejected, validate
from easel_gateway.metrics import REQUESTS
from easel_gateway.telegram import texts
from easel_gateway.telegram.bot import reply
from easel_gateway.telegram.photos import photo_of
from easel_gateway.telegram.routers.parsed import Parsed
from easel_gateway.telegram.submit import Request, Steps, submit

log = structlog.get_logger("easel.gateway")


def image_router() -> Router:
    router = Router(name="image")
    router.message.register(image_command, Parsed(ImageRequest))
    return router


async def image_command(
    message: Message,
    command: ImageRequest,
    registry: ModelRegistry,
    blocklist: Blocklist,
    steps: Steps,
    t: Texts,
    language_code: str | None,
) -> None:
    photo = photo_of(message)
    verdict = validate(command, registry, blocklist, photo=photo.shape if photo else None)
    if isinstance(verdict, Rejected):
        # Bad input changes nothing: no claim, no rate-limit slot, nothing published.
        REQUESTS.labels(f"rejected_{verdict.reason}").inc()
        log.info("gateway.rejected", reason=str(verdict.reason))
        await reply(message, texts.rejection(t, verdict, registry))
        return
    if message.from_user is None:  # only channel posts lack a sender, and they are not routed
        return
    spec = registry.get(verdict.model)
    display = spec.display_name if spec else verdict.model
    job = job_id(message.chat.id, message.message_id)
    photo = photo if verdict.from_photo else None
    request = Request(message, message.from_user, job, verdict, display, t, language_code, photo)
    await submit(request, steps)
