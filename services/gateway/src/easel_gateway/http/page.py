"""The web page at `/`: plain HTML, CSS and JavaScript from `static/`, no build step. It
speaks only the public API (`/v1`), with the key the person keeps in their browser, in the
browser's language: `/page/messages.json?lang=` gives the page's texts from the gateway's
catalog, each `{name}` in them for the page to fill in."""

from __future__ import annotations

from importlib import resources

from aiohttp import web

from easel.i18n import RTL, first_spoken
from easel_gateway.catalog import CATALOG

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
_PAGE = "page-"  # the catalog's messages for the page
# What the page fills in, left in the text as `{name}`.
_SLOTS = {name: f"{{{name}}}" for name in ("position", "seconds", "prompt", "code")}


def messages(codes: str | None) -> dict[str, object]:
    """The page's texts in the first of the browser's languages (`codes`, comma-separated,
    preferred first) that Easel speaks, else English; and the text's direction."""
    language = first_spoken((codes or "").split(","))
    t = CATALOG.for_language(language)
    texts = {i: t(i, **_SLOTS) for i in CATALOG.ids if i.startswith(_PAGE)}
    return {"language": language, "dir": "rtl" if language in RTL else "ltr", "messages": texts}


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

    async def texts(request: web.Request) -> web.Response:
        body = messages(request.query.get("lang"))
        return web.json_response(body, headers=_HEADERS)

    app.router.add_get("/", page, name="page")
    app.router.add_get("/page/messages.json", texts, name="page_messages")
    app.router.add_get("/page/{name}", asset, name="page_asset")
