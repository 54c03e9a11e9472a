"""Argument parsing only; each sub-command lives in its own module."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from . import _provision, _submit, _up


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="easel", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    up = commands.add_parser("up", help="start the four services (and NATS when NATS_URL is unset)")
    up.add_argument("--store", type=Path, help="JetStream store for the embedded server")
    up.add_argument(
        "--services",
        default="gateway,enhancer,generator,notifier",
        help="comma-separated services to start (default: all four)",
    )

    submit = commands.add_parser("submit", help="generate one image through the bus, no Telegram")
    submit.add_argument("model")
    submit.add_argument("prompt")
    submit.add_argument("-o", "--output", type=Path, help="where to write the image")
    submit.add_argument("--timeout", type=float, default=600.0, help="seconds to wait")

    commands.add_parser("provision", help="create or update streams, consumers and buckets")

    args = parser.parse_args(argv)
    match args.command:
        case "up":
            raise SystemExit(_up.up(args.services.split(","), args.store))
        case "submit":
            code = asyncio.run(_submit.submit(args.model, args.prompt, args.output, args.timeout))
            raise SystemExit(code)
        case "provision":
            raise SystemExit(asyncio.run(_provision.provision_all()))
