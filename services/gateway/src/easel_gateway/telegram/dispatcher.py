"""The aiogram Dispatcher: routers, middlewares and the dependencies handlers receive.

Independent of how updates arrive, so webhook mode can feed the same dispatcher."""

from __future__ import annotations

from aiogram import Bot, Dispatcher
from nats.js import JetStreamContext

from easel import bus
from easel.controls import Blocklist, CircuitStates, ModelPauses, UserList
from easel.jobs import Endings, JobStore, ServiceTimes
from easel.settings import ModelRegistry
from easel_gateway.catalog import CATALOG
from easel_gateway.settings import Settings
from easel_gateway.stores.active_jobs import ActiveJobs
from easel_gateway.stores.claims import JobClaims
from easel_gateway.stores.languages import LanguageChoices
from easel_gateway.stores.photos import PhotoStore
from easel_gateway.stores.rate_limits import RateLimiter
from easel_gateway.telegram.language import Language
from easel_gateway.telegram.middlewares import MessageContext
from easel_gateway.telegram.routers.admin import admin_router
from easel_gateway.telegram.routers.again import again_router
from easel_gateway.telegram.routers.help import help_router
from easel_gateway.telegram.routers.image import image_router
from easel_gateway.telegram.routers.jobs import jobs_router
from easel_gateway.telegram.routers.language import language_router
from easel_gateway.telegram.submit import Steps


def build_dispatcher(
    *,
    settings: Settings,
    registry: ModelRegistry,
    js: JetStreamContext,
    publish: bus.Publish,
    claims: JobClaims,
    limiter: RateLimiter,
    active: ActiveJobs,
    job_views: JobStore,
    endings: Endings,
    service_times: ServiceTimes,
    users: UserList,
    pauses: ModelPauses,
    circuits: CircuitStates,
    blocklist: Blocklist,
    photos: PhotoStore,
    language_choices: LanguageChoices,
    bot: Bot,
) -> tuple[Dispatcher, MessageContext]:
    # Keyword arguments become workflow data: handlers and filters ask for them by name.
    dispatcher = Dispatcher(
        disable_fsm=True,
        settings=settings,
        registry=registry,
        js=js,
        publish=publish,
        job_views=job_views,
        endings=endings,
        service_times=service_times,
        users=users,
        pauses=pauses,
        circuits=circuits,
        blocklist=blocklist,
        catalog=CATALOG,
        language_choices=language_choices,
        # What a new job goes through, typed or pressed for.
        steps=Steps(
            settings=settings,
            users=users,
            claims=claims,
            limiter=limiter,
            active=active,
            endings=endings,
            publish=publish,
            pauses=pauses,
            photos=photos,
            bot=bot,
        ),
    )
    context = MessageContext()
    language = Language(CATALOG, language_choices)
    for observer in (dispatcher.message, dispatcher.callback_query):
        observer.outer_middleware(context)
        observer.outer_middleware(language)
    # "again" and "language" before "jobs", which answers every other press.
    routers = (
        help_router(),
        language_router(),
        again_router(),
        jobs_router(),
        admin_router(),
        image_router(),
    )
    dispatcher.include_routers(*routers)
    return dispatcher, context
