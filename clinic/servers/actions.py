"""The action server, accepting calls only from the clinic's Rasa server.

    python -m clinic.servers.actions [--port 5055]

Every call but `GET /health`, `/ready` and `/metrics` must carry `Authorization:
Bearer <secret>` with `CLINIC_ACTION_SERVER_SECRET` (Rasa sends it from
endpoints.yml); anything else gets 401. /ready and /metrics (red flags by tier)
want the monitoring token instead (clinic/operations/metrics.py), which lets no one call an
action. Without a secret the server only agrees to listen on loopback.
It binds to `CLINIC_BIND_ADDRESS`.
"""

from __future__ import annotations

import argparse
import logging
import os
import secrets

from rasa_sdk.endpoint import create_app
from sanic import Sanic, response
from sanic.request import Request

from clinic.operations import logs, metrics
from clinic.operations.binding import bind_address, is_loopback

logger = logging.getLogger(__name__)
OPEN_PATHS = ("/health", "/ready", "/metrics")  # no patient data; /ready and /metrics check the monitoring token


def action_server(secret: str | None) -> Sanic:
    app = create_app("actions", cors_origins=[])  # browsers have no business here: no CORS

    @app.middleware("request")
    async def only_the_rasa_server(request: Request):
        if request.path in OPEN_PATHS and request.method == "GET":
            return None
        sent = request.headers.get("authorization") or ""
        if secret and not secrets.compare_digest(sent.encode(), f"Bearer {secret}".encode()):
            logger.warning("refused an unauthenticated call to %s from %s", request.path, request.ip)
            metrics.REFUSALS.labels("actions", "401").inc()
            return response.json({"error": "unauthorized"}, status=401)
        logs.conversation.set(None)
        try:  # every line logged during this call carries the conversation's id
            logs.conversation.set((request.json or {}).get("sender_id"))
        except Exception:  # a body that is not JSON: rasa_sdk answers it
            pass
        return None

    metrics.add_service_routes(app, "actions", {"clinic_database": clinic_database_answers}, health=False)

    @app.exception(Exception)
    async def failed(request: Request, error: Exception):
        # rasa_sdk's own handler echoes the request body (the patient's tracker) back
        logger.exception("action call failed: %s", type(error).__name__)
        return response.json({"error": "the action failed"}, status=500)

    return app


def clinic_database_answers() -> None:
    from sqlalchemy import text

    from actions.booking_handoff import clinic_store

    with clinic_store().engine.connect() as db:
        db.execute(text("select 1"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=int(os.environ.get("CLINIC_ACTIONS_PORT", 5055)))
    args = parser.parse_args()
    logs.configure("actions")
    host, secret = bind_address(), os.environ.get("CLINIC_ACTION_SERVER_SECRET") or None
    if not secret and not is_loopback(host):
        raise SystemExit(
            f"error: the action server would listen on {host} with no caller check; "
            "set CLINIC_ACTION_SERVER_SECRET (and the same in the Rasa server's environment)"
        )
    action_server(secret).run(host=host, port=args.port, access_log=False, workers=1)


if __name__ == "__main__":
    main()
