"""Starts the Rasa server with the HTTP API's secret taken from the environment.

    python -m clinic.servers.assistant --model models/clinic.tar.gz --port 5005 \
        --credentials credentials.yml --endpoints endpoints.yml

The JWT secret (`CLINIC_API_JWT_SECRET`) is handed to Rasa inside this process,
so it never appears on a command line; the server binds to `CLINIC_BIND_ADDRESS`;
the clinic's changes to Rasa (clinic/rasa_patches/: hot spots, an honest answer
to a database outage, a 401 for a forged API token, /health, /ready and /metrics)
are checked against the installed Rasa and applied at start.
`--replica N` (supervisord's process number) listens on CLINIC_RASA_FIRST_PORT + N
(5005 by default): `make prod` runs several replicas behind nginx, whose word
alone on a patient's address is believed (`trust_only_nginx`).
Any other argument is passed to `rasa run` as it is.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

from clinic import rasa_patches
from clinic.operations.binding import bind_address

logger = logging.getLogger(__name__)


def rasa_arguments(arguments: list[str], environ=None) -> list[str]:
    environ = os.environ if environ is None else environ
    arguments = list(arguments)
    if "--replica" in arguments:
        at = arguments.index("--replica")
        replica = int(arguments.pop(at + 1))
        arguments[at : at + 1] = ["--port", str(int(environ.get("CLINIC_RASA_FIRST_PORT") or 5005) + replica)]
    argv = ["rasa", "run", *arguments, "--interface", bind_address(environ)]
    secret = environ.get("CLINIC_API_JWT_SECRET")
    if secret:  # the API (model reload, status) needs a signed token; without a secret it stays off
        argv += ["--enable-api", "--jwt-secret", secret, "--jwt-method", "HS256"]
    return argv


def trust_only_nginx(environ) -> None:
    """The patient's address (per-address rate limits) is read only from the Forwarded header that
    carries the proxy secret nginx sends (CLINIC_PROXY_SECRET_FILE, Sanic's FORWARDED_SECRET); without
    it, the connection's own address. X-Forwarded-For and X-Real-IP, which anyone can send, never count."""
    for name in ("SANIC_REAL_IP_HEADER", "SANIC_PROXIES_COUNT"):
        if environ.pop(name, None):
            logger.warning("%s ignored: the replicas believe only nginx's Forwarded header", name)
    if environ.get("CLINIC_PROXY_SECRET_FILE"):
        secret = Path(environ["CLINIC_PROXY_SECRET_FILE"]).read_text().strip()
        if not secret:
            raise SystemExit(f"error: {environ['CLINIC_PROXY_SECRET_FILE']} is empty")
        environ["SANIC_FORWARDED_SECRET"] = secret


def main() -> None:
    import rasa.__main__

    rasa_patches.apply(file_logging="--logging-config-file" in sys.argv)
    trust_only_nginx(os.environ)
    sys.argv = rasa_arguments(sys.argv[1:])
    rasa.__main__.main()


if __name__ == "__main__":
    main()
