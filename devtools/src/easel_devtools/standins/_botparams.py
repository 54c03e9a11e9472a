"""Bot API request parameters, read the way Telegram reads them.

Telegram takes the query string plus a JSON, urlencoded or multipart body. Clients such
as aiogram send everything as form strings: ints as "123", nested objects as JSON text,
and uploads as `attach://<name>` pointing at another multipart part.
"""

from __future__ import annotations

import json
import re
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

    def flag(self, name: str) -> bool:
        """Telegram's boolean reading: "true", "yes" or "1" in any case; anything else is False."""
        value = self.fields.get(name)
        if isinstance(value, bool | int):
            return bool(value)
        return isinstance(value, str) and value.strip().lower() in ("true", "yes", "1")

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


# -- reply markup -------------------------------------------------------------------------
# An inline button's kind is the first of these it carries, in the order Telegram's server
# checks them (tdlib/telegram-bot-api, get_inline_keyboard_button_type): a button with two
# kinds is not refused, it silently becomes the first. Empty strings count as absent.
_BUTTON_KINDS = (
    "url",
    "callback_data",
    "callback_game",
    "pay",
    "switch_inline_query",
    "switch_inline_query_chosen_chat",
    "switch_inline_query_current_chat",
    "login_url",
    "web_app",
    "copy_text",
    "disabled",
)
CALLBACK_DATA_LIMIT = 64  # bytes
_BUTTON = "can't parse inline keyboard button"


def _button(button: Any) -> dict[str, Any]:
    if not isinstance(button, dict):
        raise bad_request(f"{_BUTTON}: InlineKeyboardButton must be an Object")
    if "text" not in button:
        raise bad_request(f'{_BUTTON}: Can\'t find field "text"')
    out: dict[str, Any] = {"text": str(button["text"])}
    out.update({key: button[key] for key in ("icon_custom_emoji_id", "style") if button.get(key)})
    for kind in _BUTTON_KINDS:
        value = button.get(kind)
        if value is None or (value == "" and kind in ("url", "callback_data")):
            continue
        if kind == "callback_data":
            # Checked by Telegram itself, hence the bare error code.
            if len(str(value).encode()) > CALLBACK_DATA_LIMIT:
                raise bad_request("BUTTON_DATA_INVALID")
            return out | {kind: str(value)}
        if kind == "login_url":  # echoed back as a plain url button
            return out | {"url": value.get("url") if isinstance(value, dict) else value}
        return out | {kind: True if kind == "pay" else value}
    raise bad_request(f"{_BUTTON}: Text buttons are unallowed in the inline keyboard")


def reply_markup(params: Params) -> Any:
    """`reply_markup` as Telegram keeps it; raises Telegram's 400 for a malformed one.

    An inline keyboard comes back re-serialised the way Telegram echoes it on the message
    (one kind per button, rows without buttons dropped); one with no buttons at all is no
    markup (None), which is how an edit removes a keyboard. Reply keyboards, keyboard
    removal and force-reply are returned as given: they are not part of the message.
    """
    try:
        value = params.obj("reply_markup")
    except ApiError:
        raise bad_request("can't parse reply keyboard markup JSON object") from None
    if value is None or value == "":
        return None
    if not isinstance(value, dict):
        raise bad_request("object expected as reply markup")
    rows = value.get("inline_keyboard")
    if rows is not None and not isinstance(rows, list):
        raise bad_request('field "inline_keyboard" must be of type Array')
    keyboard = []
    for row in rows or []:
        if not isinstance(row, list):
            raise bad_request(
                'field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays'
            )
        if buttons := [_button(button) for button in row]:
            keyboard.append(buttons)
    # The server's precedence: reply keyboard, inline keyboard, removal, force-reply.
    if value.get("keyboard"):
        return value
    if keyboard:
        return {"inline_keyboard": keyboard}
    others = ("hide_keyboard", "remove_keyboard", "force_reply", "force_reply_keyboard")
    return value if any(value.get(key) for key in others) else None


# -- bot commands -------------------------------------------------------------------------
COMMANDS_LIMIT = 100
_COMMAND_CHARS = re.compile(r"[a-z0-9_]+")
ScopeKey = tuple[Any, ...]


def language_code(params: Params) -> str:
    """ "" for all languages, else two lowercase letters (tdlib's validate_bot_language_code)."""
    code = params.text("language_code") or ""
    if code and not re.fullmatch(r"[a-z]{2}", code):
        raise bad_request("invalid language code specified")
    return code


def command_scope(params: Params) -> ScopeKey:
    """The scope as a key: ("default",), ("chat", chat_id), ("chat_member", chat_id, user_id)…"""
    scope = params.obj("scope")
    if scope is None or scope == "":
        return ("default",)
    if not isinstance(scope, dict):
        raise bad_request("can't parse BotCommandScope: BotCommandScope must be an Object")
    kind = scope.get("type")
    if kind is None:
        raise bad_request("can't parse BotCommandScope: Can't find field \"type\"")
    if kind in ("default", "all_private_chats", "all_group_chats", "all_chat_administrators"):
        return (kind,)
    if kind not in ("chat", "chat_administrators", "chat_member"):
        raise bad_request("can't parse BotCommandScope: Unsupported type specified")
    chat_id = scope.get("chat_id")
    if chat_id is None:
        raise bad_request("can't parse BotCommandScope: Can't find field \"chat_id\"")
    if chat_id == "":
        raise bad_request("can't parse BotCommandScope: Empty chat_id specified")
    chat_id = _maybe_int(chat_id)
    if kind != "chat_member":
        return (kind, chat_id)
    user_id = _maybe_int(scope.get("user_id"))
    if not isinstance(user_id, int) or user_id <= 0:
        raise bad_request("can't parse BotCommandScope: Invalid user_id specified")
    return (kind, chat_id, user_id)


def _maybe_int(value: Any) -> Any:
    """JSON numbers and numeric strings are the same id to Telegram; "@name" stays a string."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return value


def bot_commands(params: Params) -> list[tuple[str, str]]:
    """`commands` as the Bot API server parses it: JSON shape only, see `check_commands`."""
    commands = params.obj("commands")
    if commands is None or commands == "":
        return []
    if not isinstance(commands, list):
        raise bad_request("expected an Array of BotCommand")
    parsed = []
    for item in commands:
        if not isinstance(item, dict):
            raise bad_request("can't parse BotCommand: expected an Object")
        for key in ("command", "description"):
            if key not in item:
                raise bad_request(f"can't parse BotCommand: Can't find field \"{key}\"")
        parsed.append((str(item["command"]), str(item["description"])))
    return parsed


def check_commands(commands: list[tuple[str, str]]) -> list[dict[str, str]]:
    """tdlib's checks (trimmed, one leading "/" dropped, lengths), then Telegram's own."""
    out = []
    for raw_command, raw_description in commands:
        command = raw_command.strip().removeprefix("/")
        description = raw_description.strip()
        if not command:
            raise bad_request("command must be non-empty")
        if len(command) > 32:
            raise bad_request("command length must not exceed 32")
        if not description:
            raise bad_request("command description must be non-empty")
        if len(description) > 256:
            raise bad_request("command description length must not exceed 256")
        out.append({"command": command, "description": description})
    if any(not _COMMAND_CHARS.fullmatch(c["command"]) for c in out):
        raise bad_request("BOT_COMMAND_INVALID")
    if len(out) > COMMANDS_LIMIT:
        raise bad_request("BOT_COMMANDS_TOO_MUCH")
    return out
