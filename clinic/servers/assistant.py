"""Starts the Rasa server with the HTTP API's secret taken from the environment.

    python -m clinic.servers.assistant --model models/clinic.tar.gz --port 5005 \
        --credentials credentials.yml --endpoints endpoints.yml

The JWT secret (`CLINIC_API_JWT_SECRET`) is handed to Rasa inside this process,
so it never appears on a command line; the server binds to `CLINIC_BIND_ADDRESS`;
a forged API token gets a 401 and one log line, not a 500 and a traceback;
Rasa's hot spots are fixed at start (clinic/servers/speedups.py); a
database outage gets an honest answer (clinic/servers/resilience.py); /health,
/ready and /metrics are served beside Rasa's own routes (clinic/metrics.py).
`--replica N` (supervisord's process number) listens on CLINIC_RASA_FIRST_PORT + N
(5005 by default): `make prod` runs several replicas behind nginx, whose word
alone on a patient's address is believed (`trust_only_nginx`).
Any other argument is passed to `rasa run` as it is.
"""
from __future__ import annotations

import functools
import logging
import os
import sys
from pathlib import Path

import jwt
from sanic import response

from clinic import metrics
from clinic.servers import resilience, speedups
from clinic.servers.binding import bind_address

logger = logging.getLogger(__name__)


def rasa_arguments(arguments: list[str], environ=None) -> list[str]:
    environ = os.environ if environ is None else environ
    arguments = list(arguments)
    if "--replica" in arguments:
        at = arguments.index("--replica")
        replica = int(arguments.pop(at + 1))
        arguments[at:at + 1] = ["--port", str(int(environ.get("CLINIC_RASA_FIRST_PORT") or 5005) + replica)]
    argv = ["rasa", "run", *arguments, "--interface", bind_address(environ)]
    secret = environ.get("CLINIC_API_JWT_SECRET")
    if secret:  # the API (model reload, status) needs a signed token; without a secret it stays off
        argv += ["--enable-api", "--jwt-secret", secret, "--jwt-method", "HS256"]
    return argv


def refusing_forged_tokens(create_app):
    """Wraps rasa.server.create_app: sanic-jwt lets a bad token (e.g. alg=none) escape as a 500."""
    @functools.wraps(create_app)
    def create(*args, **kwargs):
        app = create_app(*args, **kwargs)

        @app.exception(jwt.PyJWTError)
        async def forged_token(request, error):
            logger.warning("refused an API call to %s with a bad token (%s)", request.path, type(error).__name__)
            metrics.REFUSALS.labels("rasa_api", "401").inc()
            return response.json({"error": "unauthorized"}, status=401)

        metrics.add_service_routes(app, "rasa", readiness_checks(app))
        return app
    return create


def readiness_checks(app) -> dict:
    """Ready = a model is loaded and the conversation and lock stores answer."""
    def model():
        agent = app.ctx.agent
        if agent is None or not agent.is_ready():
            raise RuntimeError("no model loaded")

    def conversations():
        store = app.ctx.agent.tracker_store
        if hasattr(store, "session_scope"):  # the SQL tracker store
            from sqlalchemy import text
            with store.session_scope() as session:
                session.execute(text("select 1"))

    def locks():
        red = getattr(app.ctx.agent.lock_store, "red", None)  # the Redis lock store
        if red is not None:
            red.ping()

    return {"model": model, "conversations": conversations, "locks": locks}


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
    import rasa.server
    from rasa.core.actions.action import RemoteAction

    rasa.server.create_app = refusing_forged_tokens(rasa.server.create_app)
    speedups.apply(RemoteAction)
    resilience.apply(RemoteAction)
    if "--logging-config-file" in sys.argv:
        # Rasa would put its coloured handler over the file's (JSON lines, deploy/logging.yml).
        import rasa.utils.io
        rasa.utils.io.configure_colored_logging = lambda level: None
    trust_only_nginx(os.environ)
    sys.argv = rasa_arguments(sys.argv[1:])
    rasa.__main__.main()


if __name__ == "__main__":
    main()
