"""Patient chat sessions: an unguessable id bound to a signed token.

The server, never the browser, chooses the session id. The token is a JWT
(HS256) whose subject is that id, so a visitor can only read and write the
conversation they were given. A session ended by the patient ("End chat") is
refused from then on (`revocations.py`).
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Callable

import jwt

MIN_SECRET_LENGTH = 32
ALGORITHM = "HS256"


class SessionRefused(Exception):
    """The token is missing, forged, expired or made for another session."""


@dataclass(frozen=True)
class PatientSession:
    session_id: str
    token: str


class PatientSessions:
    def __init__(self, secret: str, lifetime_seconds: int, is_revoked: Callable[[str], bool] = lambda _: False):
        if len(secret) < MIN_SECRET_LENGTH:
            raise ValueError(
                f"the patient channel secret must be at least {MIN_SECRET_LENGTH} characters "
                "(set CLINIC_CHANNEL_SECRET; `make run` creates one in .channel-secret)"
            )
        self._secret = secret
        self._lifetime = lifetime_seconds
        self._is_revoked = is_revoked

    def start(self) -> PatientSession:
        session_id = "web-" + secrets.token_urlsafe(18)  # 144 random bits
        now = int(time.time())
        token = jwt.encode(
            {"sub": session_id, "iat": now, "exp": now + self._lifetime}, self._secret, algorithm=ALGORITHM
        )
        return PatientSession(session_id, token)

    def verify(self, authorization: str | None, session_id: str) -> dict:
        """The token's claims; raises SessionRefused unless `authorization` is a valid bearer token for `session_id`."""
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise SessionRefused("no bearer token")
        try:
            claims = jwt.decode(token, self._secret, algorithms=[ALGORITHM], options={"require": ["sub", "exp"]})
        except jwt.PyJWTError as error:
            raise SessionRefused(type(error).__name__) from None
        if not secrets.compare_digest(claims["sub"], session_id):
            raise SessionRefused("token belongs to another session")
        if self._is_revoked(session_id):
            raise SessionRefused("the patient ended this session")
        return claims
