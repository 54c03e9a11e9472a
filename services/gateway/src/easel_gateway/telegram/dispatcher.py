"""The aiogram Dispatcher: routers, middlewares and the dependencies handlers receive.

Independent of how updates arrive, so webhook mode can feed the same dispatcher."""

from __future__ import annotations

from aiogram import Dispatcher

from easel import bus
from easel.settings import ModelRegistry
from easel_gateway.settings import Settings
from easel_gateway.stores.claims import JobClaims
from easel_gateway.stores.rate_limits import RateLimiter
from easel_gateway.telegram.middlewares import MessageContext
from easel_gateway.telegram.routers.help import help_router
from easel_gateway.telegram.routers.image import image_router


def build_dispatcher(
    *,
    settings: Settings,
    registry: ModelRegistry,
    publish: bus.Publish,
    claims: JobClaims,
    limiter: RateLimiter,
) -> tuple[Dispatcher, MessageContext]:
    # Keyword arguments become workflow data: handlers and filters ask for them by name.
    dispatcher = Dispatcher(
        disable_fsm=True,
        settings=settings,
        registry=registry,
        publish=publish,
        claims=claims,
        limiter=limiter,
    )
    context = MessageContext()
    dispatcher.message.outer_middleware(context)
    dispatcher.include_routers(help_router(), image_router())
    return dispatcher, context
