"""nginx in front of the Rasa replicas: its configuration, and which replicas it sends patients to.

The configuration is deploy/nginx.conf with the run directory, address and
port filled in. The replicas in service are listed in upstream.conf beside it;
taking one out (for a model rollout) rewrites that list and reloads nginx
gracefully: calls under way finish, new ones go to the others.
"""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

from clinic import PROJECT_ROOT

TEMPLATE = PROJECT_ROOT / "deploy" / "nginx.conf"
NGINX = "/usr/sbin/nginx"
TEMP_DIRS = ("nginx-body", "nginx-proxy", "nginx-fastcgi", "nginx-uwsgi", "nginx-scgi")


class Proxy:
    def __init__(self, run_dir: Path, replica_ports: list[int], host: str = "127.0.0.1"):
        self.run_dir = Path(run_dir)
        self.replica_ports = replica_ports
        self.host = host

    @property
    def config(self) -> Path:
        return self.run_dir / "nginx.conf"

    def render(self, bind_address: str, port: int) -> Path:
        """Writes nginx.conf and an upstream list with every replica in service."""
        for name in TEMP_DIRS:
            (self.run_dir / name).mkdir(parents=True, exist_ok=True)
        text = TEMPLATE.read_text()
        for name, value in {"RUN_DIR": str(self.run_dir.resolve()), "BIND_ADDRESS": bind_address,
                            "PORT": str(port)}.items():
            text = text.replace(f"@{name}@", value)
        self.config.write_text(text)
        self.serve(self.replica_ports)
        return self.config

    def serve(self, ports: list[int]) -> None:
        """Lists `ports` as the replicas in service (atomically: nginx never reads half a file)."""
        if not ports:
            raise ValueError("nginx needs at least one replica in service")
        lines = [f"server {self.host}:{port} max_fails=1 fail_timeout=2s;" for port in ports]
        staged = self.run_dir / "upstream.conf.new"
        staged.write_text("\n".join(lines) + "\n")
        os.replace(staged, self.run_dir / "upstream.conf")

    def reload(self) -> None:
        """Checks the configuration, then has nginx take it up gracefully."""
        for flag in ("-t", "-s reload"):
            subprocess.run([NGINX, "-q", "-c", str(self.config), "-p", f"{self.run_dir.resolve()}/",
                            *flag.split()], check=True, capture_output=True, text=True)
