"""What a chaos run does: who sends what when, what gets killed, which faults the workers
inject, and the environment the services run with. Everything random comes from one seed."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from easel.natsserver import free_port
from easel_devtools.harness.system import SERVICES

WEBHOOK_SECRET = "chaos-webhook-secret_0123456789"
# The gateway registers this with the Bot API stand-in, which only records it: the users
# (chaos.users) POST to the gateway's own port, as Telegram would to this public URL.
WEBHOOK_PUBLIC_URL = "https://easel-chaos.invalid"
PROMPT = "a lighthouse in a storm"


@dataclass(frozen=True)
class Traffic:
    users: int
    per_user: int
    # Each user's requests arrive at random times within this window (one at a time per
    # chat, like Telegram's webhook delivery).
    send_seconds: float
    models: tuple[str, ...] = ("flux", "sdxl")
    first_chat: int = 700_001
    # This share of the requests is cancelled by its user ("✖ Cancel" on the status) a
    # random time within `cancel_within` seconds of sending it: in line, at the backend,
    # at the moment of delivery, or after it (a press on a view the client had not updated).
    cancel_share: float = 0.0
    cancel_within: float = 2.5

    @property
    def requests(self) -> int:
        return self.users * self.per_user


@dataclass(frozen=True)
class Kills:
    per_service: int  # each victim service is SIGKILLed this many times
    every_seconds: float  # mean pause between two faults (±40 %)
    nats_kills: int = 1  # nats-server SIGKILLed (its store stays) and started again
    victims: tuple[str, ...] = SERVICES


@dataclass(frozen=True)
class Faults:
    p_5xx: float = 0.30
    p_hang: float = 0.10
    p_html: float = 0.05
    backend_timeout_seconds: float = 2.0
    circuit_open_seconds: float = 3.0
    deadline_seconds: float = 60.0


@dataclass(frozen=True)
class Request:
    chat: int
    number: int  # 0-based, per chat
    model: str
    at: float  # seconds after the start of traffic
    cancel_after: float | None = None  # seconds after its webhook POST: the press

    @property
    def tag(self) -> str:
        """Unique per request; it reaches the worker's prompt and the photo's caption."""
        return f"chaos-{self.chat}-{self.number}"

    @property
    def text(self) -> str:
        return f"/image={self.model}={self.tag} {PROMPT}"


def schedule(traffic: Traffic, rng: random.Random) -> list[Request]:
    requests = []
    for user in range(traffic.users):
        chat = traffic.first_chat + user
        times = sorted(rng.uniform(0, traffic.send_seconds) for _ in range(traffic.per_user))
        for number, at in enumerate(times):
            model = rng.choice(traffic.models)
            cancel = None
            if traffic.cancel_share and rng.random() < traffic.cancel_share:
                cancel = rng.uniform(0, traffic.cancel_within)
            requests.append(Request(chat, number, model, at, cancel))
    return sorted(requests, key=lambda r: r.at)


@dataclass(frozen=True)
class Env:
    """The services' environment for a chaos run, beyond what the harness sets."""

    webhook_port: int = field(default_factory=free_port)
    # A redelivered update takes over a claim its dead holder left after this long; the
    # default 30 s only slows the run down (the takeover path is the same).
    claim_stale_seconds: float = 5.0
    faults: Faults | None = None
    polling: bool = False  # the gateway polls getUpdates instead of serving the webhook

    def variables(self) -> dict[str, str]:
        env = {"CLAIM_STALE_SECONDS": str(self.claim_stale_seconds)}
        if self.polling:
            env["GATEWAY_MODE"] = "polling"
        else:
            env |= {
                "GATEWAY_MODE": "webhook",
                "WEBHOOK_URL": WEBHOOK_PUBLIC_URL,
                "WEBHOOK_SECRET": WEBHOOK_SECRET,
                "WEBHOOK_HOST": "127.0.0.1",
                "WEBHOOK_PORT": str(self.webhook_port),
            }
        if self.faults is not None:
            env |= {
                "GENERATOR_BACKEND_TIMEOUT_SECONDS": str(self.faults.backend_timeout_seconds),
                "CIRCUIT_OPEN_SECONDS": str(self.faults.circuit_open_seconds),
                "JOB_DEADLINE_SECONDS": str(self.faults.deadline_seconds),
            }
        return env

    @property
    def webhook_url(self) -> str | None:
        """Where the users' updates are POSTed; None: the gateway fetches them."""
        return None if self.polling else f"http://127.0.0.1:{self.webhook_port}/telegram/webhook"
