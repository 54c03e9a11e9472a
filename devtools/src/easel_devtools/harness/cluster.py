"""`NatsCluster`: three nats-server processes on loopback forming one JetStream cluster, as
deploy/nats/values.yaml runs in Kubernetes; streams and buckets at 3 replicas survive the
loss of any one node."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import time
from pathlib import Path
from types import TracebackType

import nats
import nats.errors
from nats.js.errors import APIError, ServiceUnavailableError

from easel import bus
from easel.natsserver import NatsServer, free_port

CLUSTER_NAME = "easel"


class NatsCluster:
    def __init__(self, workdir: Path | None = None, size: int = 3) -> None:
        self._own_dir = workdir is None
        self.workdir = workdir or Path(tempfile.mkdtemp(prefix="easel-cluster-"))
        route_ports = [free_port() for _ in range(size)]
        routes = ",".join(f"nats-route://127.0.0.1:{port}" for port in route_ports)
        self.nodes = {
            f"n{i}": NatsServer(
                store_dir=self.workdir / f"n{i}",
                args=[
                    "--server_name", f"n{i}",
                    "--cluster_name", CLUSTER_NAME,
                    "--cluster", f"nats://127.0.0.1:{port}",
                    "--routes", routes,
                ],
            )
            for i, port in enumerate(route_ports)
        }  # fmt: skip

    @property
    def url(self) -> str:
        """Every node, comma-separated: NATS_URL for the services."""
        return ",".join(node.url for node in self.nodes.values())

    def start(self, timeout: float = 30.0) -> NatsCluster:
        for node in self.nodes.values():
            node.start()
        self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout: float = 30.0) -> None:
        """Until JetStream answers: the nodes have met and elected a meta leader."""
        asyncio.run(self._until_jetstream(time.monotonic() + timeout))

    async def _until_jetstream(self, deadline: float) -> None:
        nc = await nats.connect(bus.servers(self.url))
        try:
            while True:
                try:
                    await nc.jetstream(timeout=2).account_info()
                    return
                except (ServiceUnavailableError, APIError, nats.errors.TimeoutError):
                    if time.monotonic() > deadline:
                        raise TimeoutError("no JetStream meta leader in time") from None
                    await asyncio.sleep(0.2)  # the election has no notice a client can await
        finally:
            await nc.close()

    def leader_of(self, stream: str) -> str:
        """The name of the node leading `stream` now."""

        async def ask() -> str:
            nc = await nats.connect(bus.servers(self.url))
            try:
                info = await nc.jetstream().stream_info(stream)
                if info.cluster is None or not info.cluster.leader:
                    raise RuntimeError(f"{stream} has no leader: {info.cluster}")
                return info.cluster.leader
            finally:
                await nc.close()

        return asyncio.run(ask())

    def stop(self) -> None:
        for node in self.nodes.values():
            node.stop()

    def close(self) -> None:
        self.stop()
        if self._own_dir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> NatsCluster:
        return self.start()

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
