"""The API's aiohttp application: routes, the key check, and one place that turns every
failure into OpenAI's error body (no exception leaves a handler)."""

from __future__ import annotations

import nats.errors
import structlog
from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from easel.keys import ApiKeys
from easel_gateway.http import errors, openapi, page
from easel_gateway.http.images import API_KEY, Images
from easel_gateway.http.jobs import Jobs
from easel_gateway.metrics import API_REQUESTS

log = structlog.get_logger("easel.gateway")
MAX_BODY_BYTES = 64 * 1024  # a prompt is at most a few KB; anything bigger is refused: 413
_BEARER = "Bearer "


def build_app(images: Images, jobs: Jobs, keys: ApiKeys) -> web.Application:
    app = web.Application(
        middlewares=[_answered, _errors, _authorized(keys)], client_max_size=MAX_BODY_BYTES
    )
    spec = openapi.document()

    async def schema(request: web.Request) -> web.Response:
        return web.json_response(spec)

    app.router.add_get("/openapi.json", schema, name="openapi")
    app.router.add_get("/v1/models", images.models, name="models")
    app.router.add_post("/v1/images/generations", images.generate, name="generations")
    app.router.add_get("/files/{job_id}", images.file, name="file")
    app.router.add_post("/v1/jobs", jobs.create, name="jobs_create")
    app.router.add_get("/v1/jobs", jobs.many, name="jobs_list")
    app.router.add_get("/v1/jobs/{job_id}", jobs.one, name="job")
    app.router.add_get("/v1/jobs/{job_id}/events", jobs.events, name="job_events")
    app.router.add_delete("/v1/jobs/{job_id}", jobs.cancel, name="job_cancel")
    app.router.add_get("/v1/jobs/{job_id}/image", jobs.image, name="job_image")
    page.add_routes(app)
    return app


@web.middleware
async def _answered(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Counts each answer by route (its name, never the path: job ids are unbounded)."""
    route = request.match_info.route.name or "unknown"
    response = await handler(request)
    API_REQUESTS.labels(route, str(response.status)).inc()
    return response


@web.middleware
async def _errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except errors.ApiError as error:
        return _error(error)
    except web.HTTPException as error:  # no route (404), wrong method (405), too big (413)
        if error.status < 400:
            raise
        return _error(errors.ApiError(error.status, error.reason))
    except (nats.errors.Error, TimeoutError) as error:
        log.error("gateway.bus_unavailable", error=repr(error))
        return _error(
            errors.ApiError(503, "Easel's queue is unavailable; try again.", type="server_error")
        )
    except Exception:  # the one place: a bug answers 500, the server goes on
        log.exception("gateway.api_failed")
        return _error(errors.ApiError(500, "Internal error.", type="server_error"))


def _authorized(keys: ApiKeys) -> Middleware:
    @web.middleware
    async def check(request: web.Request, handler: Handler) -> web.StreamResponse:
        if not request.path.startswith("/v1/"):
            return await handler(request)
        header = request.headers.get("Authorization", "")
        key = header[len(_BEARER) :].strip() if header.startswith(_BEARER) else ""
        found = await keys.find(key) if key else None
        if found is None:
            raise errors.unauthorized()
        request[API_KEY] = found
        with structlog.contextvars.bound_contextvars(api_key=found.name):
            return await handler(request)

    return check


def _error(error: errors.ApiError) -> web.Response:
    return web.json_response(error.body(), status=error.status, headers=error.headers)
