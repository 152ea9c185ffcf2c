"""Service: Rasa's HTTP server refuses forged API tokens politely and answers /health, /ready, /metrics.

Wraps rasa.server.create_app. sanic-jwt lets a bad token (e.g. alg=none) escape
as a 500 with a traceback; here it gets a 401 and one log line. The readiness
check says a model is loaded and the conversation and lock stores answer.
"""

from __future__ import annotations

import functools
import logging

import jwt
from sanic import response

from clinic.operations import metrics
from clinic.rasa_patches.fit import Name

logger = logging.getLogger(__name__)

REPLACES = (
    Name(
        "rasa.server",
        "create_app",
        (
            "agent",
            "cors_origins",
            "auth_token",
            "response_timeout",
            "jwt_secret",
            "jwt_private_key",
            "jwt_method",
            "endpoints",
        ),
    ),
)
RELIES_ON = (Name("rasa.core.run", "configure_app", mentions=("server.create_app(",)),)


def apply() -> None:
    import rasa.server

    rasa.server.create_app = refusing_forged_tokens(rasa.server.create_app)


def refusing_forged_tokens(create_app):
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
