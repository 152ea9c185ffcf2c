"""nginx in front of the Rasa replicas: its configuration, and which replicas it sends patients to.

The configuration is deploy/nginx.conf with the run directory, address, port,
the clinic's own proxies and the proxy secret filled in. The replicas in
service are listed in upstream.conf beside it; taking one out (for a model
rollout) rewrites that list and reloads nginx gracefully: calls under way
finish, new ones go to the others.

The patient's address: nginx believes X-Forwarded-For only from the clinic's
own proxies (CLINIC_UPSTREAM_PROXIES; none = nginx is the edge) and passes the
address on in a `Forwarded` header carrying the proxy secret (proxy-secret,
beside the configuration). A replica reads the address only from a header with
that secret (Sanic's FORWARDED_SECRET, clinic.servers.assistant), so a header
that a client sends, to nginx or straight to a replica, counts for nothing.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
import subprocess
from pathlib import Path

from clinic import PROJECT_ROOT

TEMPLATE = PROJECT_ROOT / "deploy" / "nginx.conf"
NGINX = "/usr/sbin/nginx"
TEMP_DIRS = ("nginx-body", "nginx-proxy", "nginx-fastcgi", "nginx-uwsgi", "nginx-scgi")
SECRET_FILE = "proxy-secret"


def upstream_proxies(setting: str | None) -> list[str]:
    """CLINIC_UPSTREAM_PROXIES ("10.0.0.5, 10.0.1.0/24") as networks; an entry that is not one is refused,
    so nothing but an address ever reaches nginx's configuration."""
    networks = []
    for entry in (setting or "").replace(",", " ").split():
        try:
            networks.append(str(ipaddress.ip_network(entry, strict=False)))
        except ValueError:
            raise ValueError(f"CLINIC_UPSTREAM_PROXIES: '{entry}' is not an address or network") from None
    return networks


def real_ip_lines(networks: list[str]) -> str:
    if not networks:
        return "    # No proxy of the clinic's in front: the address that connects is the patient's."
    return "\n".join(
        [
            *(f"    set_real_ip_from {network};" for network in networks),
            "    real_ip_header X-Forwarded-For;",
            "    real_ip_recursive on;  # the last address none of the clinic's proxies added",
        ]
    )


class Proxy:
    def __init__(self, run_dir: Path, replica_ports: list[int], host: str = "127.0.0.1"):
        self.run_dir = Path(run_dir)
        self.replica_ports = replica_ports
        self.host = host

    @property
    def config(self) -> Path:
        return self.run_dir / "nginx.conf"

    @property
    def secret_file(self) -> Path:
        return self.run_dir / SECRET_FILE

    def render(self, bind_address: str, port: int, proxies: list[str] | None = None) -> Path:
        """Writes nginx.conf and an upstream list with every replica in service."""
        for name in TEMP_DIRS:
            (self.run_dir / name).mkdir(parents=True, exist_ok=True)
        text = TEMPLATE.read_text()
        for name, value in {
            "RUN_DIR": str(self.run_dir.resolve()),
            "BIND_ADDRESS": bind_address,
            "PORT": str(port),
            "UPSTREAM_PROXIES": real_ip_lines(proxies or []),
            "PROXY_SECRET": self.secret(),
        }.items():
            text = text.replace(f"@{name}@", value)
        private_write(self.config, text)
        self.serve(self.replica_ports)
        return self.config

    def secret(self) -> str:
        """The proxy secret, made once per run directory: made anew at each render, it would part
        nginx and the replicas whenever only one of them restarts."""
        if not self.secret_file.exists():
            private_write(self.secret_file, secrets.token_urlsafe(32))
        return self.secret_file.read_text().strip()

    def serve(self, ports: list[int]) -> None:
        """Lists `ports` as the replicas in service (atomically: nginx never reads half a file)."""
        if not ports:
            raise ValueError("nginx needs at least one replica in service")
        lines = [f"server {self.host}:{port} max_fails=1 fail_timeout=2s;" for port in ports]
        staged = self.run_dir / "upstream.conf.new"
        staged.write_text("\n".join(lines) + "\n")
        os.replace(staged, self.run_dir / "upstream.conf")

    def reload(self) -> None:
        """Checks the configuration, then has nginx take it up gracefully. Under systemd
        (CLINIC_NGINX_UNIT) through its unit: the trainer may not signal nginx's user."""
        unit = os.environ.get("CLINIC_NGINX_UNIT")
        nginx = [NGINX, "-q", "-c", str(self.config), "-p", f"{self.run_dir.resolve()}/"]
        for command in [["systemctl", "reload", unit]] if unit else [[*nginx, "-t"], [*nginx, "-s", "reload"]]:
            subprocess.run(command, check=True, capture_output=True, text=True)


def private_write(path: Path, text: str) -> None:
    """Readable by the owner only, whatever the umask: it holds the proxy secret."""
    staged = path.with_name(path.name + ".new")
    staged.unlink(missing_ok=True)
    staged.touch(mode=0o600)
    staged.write_text(text)
    os.replace(staged, path)
