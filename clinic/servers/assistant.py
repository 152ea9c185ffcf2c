"""Starts the Rasa server with the HTTP API's secret taken from the environment.

    python -m clinic.servers.assistant --model models/clinic.tar.gz --port 5005 \
        --credentials credentials.yml --endpoints endpoints.yml

The JWT secret (`CLINIC_API_JWT_SECRET`) is handed to Rasa inside this process,
so it never appears on a command line; the server binds to `CLINIC_BIND_ADDRESS`;
a forged API token gets a 401 and one log line, not a 500 and a traceback;
two of Rasa's hot spots are fixed at start (clinic/servers/speedups.py).
Any other argument is passed to `rasa run` as it is.
"""
from __future__ import annotations

import functools
import logging
import os
import sys

import jwt
from sanic import response

from clinic.servers import speedups
from clinic.servers.binding import bind_address

logger = logging.getLogger(__name__)


def rasa_arguments(arguments: list[str], environ=None) -> list[str]:
    environ = os.environ if environ is None else environ
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
            return response.json({"error": "unauthorized"}, status=401)

        return app
    return create


def main() -> None:
    import rasa.__main__
    import rasa.server
    from rasa.core.actions.action import RemoteAction

    rasa.server.create_app = refusing_forged_tokens(rasa.server.create_app)
    speedups.apply(RemoteAction)
    sys.argv = rasa_arguments(sys.argv[1:])
    rasa.__main__.main()


if __name__ == "__main__":
    main()
