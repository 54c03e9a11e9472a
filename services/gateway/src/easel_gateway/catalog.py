"""The gateway's texts (`locales/<language>.ftl`, beside the shared ones): Telegram users
read them in their language; the HTTP API's error messages stay English."""

from __future__ import annotations

from pathlib import Path

from easel.i18n import DEFAULT, Catalog

CATALOG = Catalog(Path(__file__).with_name("locales"))
ENGLISH = CATALOG.for_language(DEFAULT)
