"""The web page at `/`: plain HTML, CSS and JavaScript from `static/`, no build step. It
speaks only the public API (`/v1`), with the key the person keeps in their browser."""

from __future__ import annotations

from importlib import resources

from aiohttp import web

_FILES = {
    "page.css": "text/css",
    "page.js": "text/javascript",
}
# Only this origin's own files; the image is shown from a blob: URL the script makes.
_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob:; "
        "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",  # revalidated, so a new version shows after an upgrade
}
_STATIC = resources.files("easel_gateway.http") / "static"


def add_routes(app: web.Application) -> None:
    index = (_STATIC / "index.html").read_bytes()
    files = {name: (_STATIC / name).read_bytes() for name in _FILES}

    async def page(request: web.Request) -> web.Response:
        return web.Response(body=index, content_type="text/html", headers=_HEADERS)

    async def asset(request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name not in files:
            raise web.HTTPNotFound()
        return web.Response(body=files[name], content_type=_FILES[name], headers=_HEADERS)

    app.router.add_get("/", page, name="page")
    app.router.add_get("/page/{name}", asset, name="page_asset")
