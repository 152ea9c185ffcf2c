"""What `make run` or `make prod` started, written to the run directory for later commands
(`make reload` rolls a new model through the replicas it lists)."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from clinic import PROJECT_ROOT
from clinic.operations.binding import address_to_call, bind_address


def run_dir(environ=None) -> Path:
    environ = os.environ if environ is None else environ
    return Path(environ.get("CLINIC_RUN_DIR") or PROJECT_ROOT / "run")


@dataclass(frozen=True)
class Topology:
    replica_ports: list[int]
    host: str = "127.0.0.1"
    behind_proxy: bool = False

    @property
    def replica_urls(self) -> list[str]:
        return [f"http://{self.host}:{port}" for port in self.replica_ports]

    def save(self, directory: Path) -> None:
        (directory / "topology.json").write_text(json.dumps(asdict(self)))

    @classmethod
    def load(cls, directory: Path) -> "Topology | None":
        path = directory / "topology.json"
        return cls(**json.loads(path.read_text())) if path.exists() else None

    @classmethod
    def from_environment(cls, environ=None) -> "Topology":
        environ = os.environ if environ is None else environ
        first, count = int(environ.get("CLINIC_RASA_FIRST_PORT", 5005)), int(environ.get("CLINIC_REPLICAS", 1))
        return cls(
            [first + n for n in range(count)],
            address_to_call(bind_address(environ)),
            environ.get("CLINIC_PROXY") == "nginx",
        )


def main() -> None:
    """Writes topology.json (and nginx's configuration behind a proxy) from the environment."""
    directory = run_dir()
    directory.mkdir(parents=True, exist_ok=True)
    topology = Topology.from_environment()
    topology.save(directory)
    if topology.behind_proxy:
        from clinic.prod.proxy import Proxy, upstream_proxies

        # nginx alone may face the network (CLINIC_PUBLIC_BIND_ADDRESS); the replicas stay on CLINIC_BIND_ADDRESS.
        Proxy(directory, topology.replica_ports, topology.host).render(
            os.environ.get("CLINIC_PUBLIC_BIND_ADDRESS") or bind_address(),
            int(os.environ.get("CLINIC_PUBLIC_PORT", 5005)),
            upstream_proxies(os.environ.get("CLINIC_UPSTREAM_PROXIES")),
        )


if __name__ == "__main__":
    main()
