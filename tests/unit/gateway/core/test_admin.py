"""The admins' commands, parsed and read (pure)."""

from __future__ import annotations

import pytest

from easel.controls import Standing
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
        ("/allow", admin.Usage("/allow <Telegram user id>, e.g. /allow 12345")),
        ("/deny -5", admin.Usage("/deny <Telegram user id>, e.g. /deny 12345")),
        ("/allow ²", admin.Usage("/allow <Telegram user id>, e.g. /allow 12345")),
        ("/pause flux\nnew GPU", admin.PauseModel("flux", "new GPU")),
        ("/pause kandinsky", admin.Usage("/pause <model> — one of flux, sdxl")),
        ("/resume", admin.Usage("/resume <model> — one of flux, sdxl")),
        ("/pause flux " + "x" * 201, admin.Usage("The reason may have at most 200 characters.")),
    ],
)
def test_read(text: str, expected: admin.AdminCommand) -> None:
    request = parse(text, MODELS, "easel_bot")
    assert isinstance(request, AdminRequest)
    assert admin.read(request, MODELS) == expected
