"""Argument parsing only; each sub-command lives in its own module."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from easel.cli import _controls, _dlq, _jobs, _keys, _provision, _submit, _up


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

    jobs = commands.add_parser("jobs", help="the job view: rebuild it from the event log")
    jobs_commands = jobs.add_subparsers(dest="jobs_command", required=True)
    jobs_commands.add_parser(
        "rebuild", help="replay EASEL_HISTORY into an emptied view (the projector pauses)"
    )
    job = commands.add_parser("job", help="one job's timeline: every event, by whom, when")
    job.add_argument("job_id")

    dlq = commands.add_parser("dlq", help="dead letters: messages given up, and their replay")
    dlq_commands = dlq.add_subparsers(dest="dlq_command", required=True)
    listing = dlq_commands.add_parser("list", help="seq, consumer, original subject, reason, age")
    listing.add_argument("--limit", type=int, default=50, help="show the last N (default 50)")
    replay = dlq_commands.add_parser(
        "replay",
        help="after a fix: publish letters again to their original subjects",
        description=_dlq.__doc__,
    )
    which = replay.add_mutually_exclusive_group(required=True)
    which.add_argument("seq", nargs="*", type=int, default=[], help="DLQ sequence numbers")
    which.add_argument("--all", action="store_true", help="every letter in the DLQ")
    replay.add_argument("--delete", action="store_true", help="delete each letter once replayed")

    users = commands.add_parser("users", help="who may use the bot (with ACCESS=allowlist)")
    users_commands = users.add_subparsers(dest="users_command", required=True)
    for action, text in (("allow", "let a user in"), ("deny", "keep a user out")):
        users_commands.add_parser(action, help=text).add_argument("user_id", type=int)
    users_commands.add_parser("list", help="user id, standing, by whom, when")

    models = commands.add_parser("models", help="pause a model (its jobs wait) or resume it")
    models_commands = models.add_subparsers(dest="models_command", required=True)
    pause = models_commands.add_parser("pause", help="stop handing its jobs to the backend")
    pause.add_argument("model")
    pause.add_argument("--reason", default="", help="shown to the users who wait")
    models_commands.add_parser("resume", help="hand its jobs out again").add_argument("model")
    models_commands.add_parser("list", help="each model: running, or paused and why")

    keys = commands.add_parser("keys", help="the HTTP API's keys")
    keys_commands = keys.add_subparsers(dest="keys_command", required=True)
    keys_commands.add_parser("create", help="make a key; it is printed once").add_argument("name")
    keys_commands.add_parser("revoke", help="the key stops working").add_argument("name")
    keys_commands.add_parser("list", help="each key's name and when it was made")

    args = parser.parse_args(argv)
    match args.command:
        case "up":
            raise SystemExit(_up.up(args.services.split(","), args.store))
        case "submit":
            try:
                code = asyncio.run(
                    _submit.submit(args.model, args.prompt, args.output, args.timeout)
                )
            except KeyboardInterrupt:  # its job was cancelled on the way out
                code = 130
            raise SystemExit(code)
        case "provision":
            raise SystemExit(asyncio.run(_provision.provision_all()))
        case "jobs":
            raise SystemExit(asyncio.run(_jobs.rebuild()))
        case "job":
            raise SystemExit(asyncio.run(_jobs.show(args.job_id)))
        case "users":
            user_id = getattr(args, "user_id", None)
            raise SystemExit(asyncio.run(_controls.users(args.users_command, user_id)))
        case "models":
            model, reason = getattr(args, "model", None), getattr(args, "reason", "")
            raise SystemExit(asyncio.run(_controls.models(args.models_command, model, reason)))
        case "keys":
            name = getattr(args, "name", None)
            raise SystemExit(asyncio.run(_keys.keys(args.keys_command, name)))
        case "dlq" if args.dlq_command == "list":
            raise SystemExit(asyncio.run(_dlq.list_letters(max(args.limit, 1))))
        case "dlq":
            code = asyncio.run(_dlq.replay(args.seq, args.all, args.delete))
            raise SystemExit(code)
