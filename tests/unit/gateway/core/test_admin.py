"""The admins' commands, parsed and read (pure)."""

from __future__ import annotations

import pytest

from easel.controls import Standing
from easel_gateway.catalog import ENGLISH
from easel_gateway.core import admin
from easel_gateway.core.commands import AdminRequest, parse

MODELS = ("flux", "sdxl")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/allow 12345", admin.SetStanding(12345, Standing.ALLOWED)),
        ("/deny@easel_bot 7", admin.SetStanding(7, Standing.DENIED)),
        ("/pause FLUX  new   GPU ", admin.PauseModel("flux", "new GPU")),
        ("/pause sdxl", admin.PauseModel("sdxl", "")),
        ("/resume flux", admin.ResumeModel("flux")),
        ("/stats", admin.ShowStats()),
        ("/allow", "/allow <Telegram user id>, e.g. /allow 12345"),
        ("/deny -5", "/deny <Telegram user id>, e.g. /deny 12345"),
        ("/allow ²", "/allow <Telegram user id>, e.g. /allow 12345"),
        ("/pause flux\nnew GPU", admin.PauseModel("flux", "new GPU")),
        ("/pause kandinsky", "/pause <model> — one of flux, sdxl"),
        ("/resume", "/resume <model> — one of flux, sdxl"),
        ("/pause flux " + "x" * 201, "The reason may have at most 200 characters."),
    ],
)
def test_read(text: str, expected: admin.AdminCommand | str) -> None:
    request = parse(text, MODELS, "easel_bot")
    assert isinstance(request, AdminRequest)
    read = admin.read(request, MODELS)
    if isinstance(expected, str):  # how the command is written, in English
        assert isinstance(read, admin.Usage)
        assert ENGLISH.say(read.phrase) == expected
    else:
        assert read == expected
