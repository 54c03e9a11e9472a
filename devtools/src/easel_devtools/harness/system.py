"""`EaselSystem`: NATS + stand-ins + the four services as processes, in one object."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from pathlib import Path
from types import TracebackType
from typing import Self

import nats
from nats.js.api import KeyValueConfig

from easel import bus
from easel.natsserver import NatsServer, free_port
from easel_devtools.harness.cluster import NatsCluster
from easel_devtools.harness.process import ServiceProcess, child_env
from easel_devtools.harness.selfhosted import SelfHosted
from easel_devtools.standins import BotApiStandin, FluxWorkerStandin, LlmStandin, SdxlWorkerStandin

# Known fake secrets: tests assert that none of them ever shows up in a log line.
BOT_TOKEN = "987654321:AAFakeTokenForEaselTests_0123456789abc"
SDXL_KEY = "sdxl-secret-key-for-tests-4f9a"
LLM_KEY = "sk-llm-secret-key-for-tests-77c1"
API_KEY_NAME = "tests"
API_KEY = "easel_api-key-for-tests-5d2e0b1c"

SERVICES = ("gateway", "enhancer", "generator", "notifier")
START_SECONDS = 120.0


class EaselSystem:
    def __init__(
        self,
        workdir: Path | None = None,
        *,
        flood_limits: bool = False,
        llm: bool = True,
        env: dict[str, str] | None = None,
        lease_seconds: float | None = None,
        cluster: bool = False,
        self_hosted: bool = False,
    ) -> None:
        """`lease_seconds`: the polling lease's term, if not the production 15 s.
        `cluster`: a 3-node JetStream cluster, streams and buckets at 3 replicas.
        `self_hosted`: also the A1111, ComfyUI and OpenAI Images stand-ins, as the models
        `forge`, `comfy` and `dalle` of a MODELS_FILE."""
        self._own_dir = workdir is None
        self.workdir = workdir or Path(tempfile.mkdtemp(prefix="easel-system-"))
        self.nats: NatsServer | NatsCluster = (
            NatsCluster(self.workdir / "cluster")
            if cluster
            else NatsServer(store_dir=self.workdir / "jetstream")
        )
        self.telegram = BotApiStandin(BOT_TOKEN, flood_limits=flood_limits)
        self.flux = FluxWorkerStandin()
        self.sdxl = SdxlWorkerStandin(api_key=SDXL_KEY)
        self.llm = LlmStandin(api_key=LLM_KEY)
        self._llm_enabled = llm
        self._extra_env = env or {}
        self._lease_seconds = lease_seconds
        self.self_hosted = SelfHosted() if self_hosted else None
        self.services: dict[str, ServiceProcess] = {}
        self.api_port = free_port()  # known before start: tests build clients from it

    @property
    def api_url(self) -> str:
        """The first gateway's HTTP API, e.g. for `OpenAI(base_url=api_url + "/v1")`."""
        return f"http://127.0.0.1:{self.api_port}"

    def start(self, services: tuple[str, ...] = SERVICES) -> Self:
        """Start everything; if any part fails, stop what already started, then raise."""
        try:
            return self._start(services)
        except BaseException:
            self.stop()
            raise

    def _start(self, services: tuple[str, ...]) -> Self:
        self.nats.start()
        if self._lease_seconds is not None:
            asyncio.run(self._lease_bucket(self._lease_seconds))
        env = child_env(
            NATS_URL=self.nats.url,
            TELEGRAM_BOT_TOKEN=BOT_TOKEN,
            TELEGRAM_API_URL=self.telegram.start(),
            FLUX_WORKER_URL=f"{self.flux.start()}/generate",
            SDXL_WORKER_URL=f"{self.sdxl.start()}/generate",
            SDXL_API_KEY=SDXL_KEY,
            LOG_FORMAT="json",
            LOG_LEVEL="INFO",
            GENERATOR_RETRY_BASE_SECONDS="0.05",
            GENERATOR_ACK_WAIT_SECONDS="5",
            # The load and chaos runs send a user more requests at once than the fair
            # share allows; the share has tests of its own.
            MAX_ACTIVE_JOBS_PER_USER="1000",
            STREAM_REPLICAS="3" if isinstance(self.nats, NatsCluster) else "1",
            # The gateway's HTTP API, and a key for it (tests assert it is never logged).
            API_PORT=str(self.api_port),
            API_KEYS=f"{API_KEY_NAME}:{API_KEY}",
            API_KEEPALIVE_SECONDS="1",  # seen within a test's patience
            WEBHOOK_ALLOW_PRIVATE="true",  # the tests' receivers listen on loopback
        )
        llm_url = self.llm.start()
        if self._llm_enabled:
            env |= {
                "LLM_BASE_URL": f"{llm_url}/v1",
                "LLM_API_KEY": LLM_KEY,
                "LLM_MODEL": "test-model",
            }
        if self.self_hosted is not None:
            env |= self.self_hosted.start(self.workdir)
        env |= self._extra_env
        logs = self.workdir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        for name in services:
            self.services[name] = ServiceProcess(name, env, logs / f"{name}.log", free_port())
        for service in self.services.values():
            service.start()
        for service in self.services.values():
            # Generous: from a clean clone (no bytecode yet), with other systems starting on
            # the same two cores (the e2e chaos runs three), a start takes well over 30 s.
            service.wait_ready(timeout=START_SECONDS)
        return self

    async def _lease_bucket(self, term: float) -> None:
        """Made before the gateways provision it: they keep an existing bucket and take
        the lease's term from its TTL."""
        nc = await nats.connect(bus.servers(self.nats.url))
        try:
            replicas = 3 if isinstance(self.nats, NatsCluster) else 1
            config = KeyValueConfig(bucket=bus.LEASE_BUCKET, ttl=term, history=1, replicas=replicas)
            await nc.jetstream().create_key_value(config)
        finally:
            await nc.close()

    def __getitem__(self, name: str) -> ServiceProcess:
        return self.services[name]

    def stream_messages(self, stream: str) -> int:
        """How many messages a stream holds, read through a fresh client."""

        async def count() -> int:
            nc = await nats.connect(bus.servers(self.nats.url))
            try:
                return int((await nc.jetstream().stream_info(stream)).state.messages)
            finally:
                await nc.close()

        return asyncio.run(count())

    def logs(self) -> str:
        return "\n".join(s.log_path.read_text(errors="replace") for s in self.services.values())

    def stop(self) -> dict[str, int | None]:
        codes = {name: service.terminate() for name, service in self.services.items()}
        for standin in (self.telegram, self.flux, self.sdxl, self.llm):
            standin.stop()
        if self.self_hosted is not None:
            self.self_hosted.stop()
        self.nats.stop()
        return codes

    def close(self) -> None:
        self.stop()
        if self._own_dir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
