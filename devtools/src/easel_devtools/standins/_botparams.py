"""Bot API request parameters, read the way Telegram reads them.

Telegram takes the query string plus a JSON, urlencoded or multipart body. Clients such
as aiogram send everything as form strings: ints as "123", nested objects as JSON text,
and uploads as `attach://<name>` pointing at another multipart part.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web


class ApiError(Exception):
    """An `ok: false` answer; `retry_after` adds `parameters.retry_after` (429)."""

    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after


def bad_request(what: str) -> ApiError:
    return ApiError(400, f"Bad Request: {what}")


class Params:
    def __init__(self, fields: dict[str, Any], files: dict[str, bytes]) -> None:
        self.fields = fields
        self.files = files

    def text(self, name: str) -> str | None:
        value = self.fields.get(name)
        return None if value is None else str(value)

    def integer(self, name: str, default: int | None = None, *, missing: str | None = None) -> int:
        value = self.fields.get(name)
        if value is None or value == "":
            if default is None:
                raise bad_request(missing or f"{name} is empty")
            return default
        if isinstance(value, bool):
            raise bad_request(f"invalid {name} specified")
        try:
            return int(value)
        except (TypeError, ValueError):
            raise bad_request(f"invalid {name} specified") from None

    def obj(self, name: str) -> Any:
        value = self.fields.get(name)
        if not isinstance(value, str):
            return value  # already decoded (JSON body) or absent
        try:
            return json.loads(value)
        except ValueError:
            raise bad_request(f"can't parse {name} JSON object") from None

    def file(self, name: str) -> bytes | str | None:
        """Uploaded bytes (direct part or attach://), else the string given (file_id/URL)."""
        if name in self.files:
            return self.files[name]
        value = self.text(name)
        if value and value.startswith("attach://"):
            return self.files.get(value.removeprefix("attach://"), b"")
        return value


async def read_params(request: web.Request) -> Params:
    try:
        return await _read(request)
    except web.HTTPRequestEntityTooLarge:
        raise ApiError(413, "Request Entity Too Large") from None


async def _read(request: web.Request) -> Params:
    fields: dict[str, Any] = dict(request.query)
    files: dict[str, bytes] = {}
    if not request.body_exists:
        return Params(fields, files)
    if request.content_type == "application/json":
        try:
            body = await request.json()
        except ValueError:
            raise bad_request("can't parse JSON object") from None
        if not isinstance(body, dict):
            raise bad_request("parameters must be a JSON object")
        fields.update(body)
    elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        for key, value in (await request.post()).items():
            if isinstance(value, web.FileField):
                files[key] = value.file.read()
            else:
                fields[key] = value
    return Params(fields, files)
