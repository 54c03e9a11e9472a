"""Serve one stand-in until Ctrl-C, e.g. for a manual demo:

.venv/bin/python -m easel_devtools.standins {botapi|flux|sdxl|llm} --port N
.venv/bin/python -m easel_devtools.standins flux --port 8101 --service-time 2
"""

from __future__ import annotations

import argparse
import contextlib
import threading

from easel_devtools.standins import (
    BotApiStandin,
    FluxWorkerStandin,
    LlmStandin,
    SdxlWorkerStandin,
    StandinServer,
)
from easel_devtools.standins.botapi import DEFAULT_TOKEN
from easel_devtools.standins.workers import DEFAULT_SDXL_KEY


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m easel_devtools.standins")
    parser.add_argument("kind", choices=["botapi", "flux", "sdxl", "llm"])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--token", default=DEFAULT_TOKEN, help="botapi")
    parser.add_argument("--no-flood-limits", action="store_true", help="botapi")
    parser.add_argument("--service-time", type=float, default=0.0, help="flux, sdxl")
    parser.add_argument("--capacity", type=int, default=1, help="flux, sdxl")
    parser.add_argument("--api-key", default=None, help="sdxl, llm (llm: none = no auth)")
    parser.add_argument("--mode", default="normal", help="llm")
    args = parser.parse_args()

    server: StandinServer
    if args.kind == "botapi":
        server = BotApiStandin(args.token, port=args.port, flood_limits=not args.no_flood_limits)
    elif args.kind == "llm":
        server = LlmStandin(args.api_key, port=args.port, mode=args.mode)
    elif args.kind == "flux":
        server = FluxWorkerStandin(
            port=args.port, service_time=args.service_time, capacity=args.capacity
        )
    else:
        server = SdxlWorkerStandin(
            args.api_key or DEFAULT_SDXL_KEY,
            port=args.port,
            service_time=args.service_time,
            capacity=args.capacity,
        )
    with server:
        endpoint = getattr(server, "url", server.base_url)
        print(f"{args.kind} stand-in serving at {endpoint}", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":
    main()
