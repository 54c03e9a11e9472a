"""What of a message may reach the logs."""

from __future__ import annotations

import pytest

from easel_gateway.telegram.middlewares import preview


@pytest.mark.parametrize(
    ("text", "logged"),
    [
        ("/image=flux=a secret prompt", "/image=flux"),
        ("/image a secret prompt", "/image"),
        ("/sdxl=secret", "/sdxl=secret"),
        ("just chatting about secrets", ""),
        (None, ""),
        ("/" + "x" * 100, "/" + "x" * 22 + "…"),
    ],
)
def test_log_preview_keeps_prompts_out(text: str | None, logged: str) -> None:
    assert preview(text) == logged
