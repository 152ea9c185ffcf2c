"""Patient sessions ended with "End chat": their tokens stop working at once.

Kept in the clinic database (CLINIC_DB_URL), so every replica of the Rasa
server refuses the token, and after a restart too. A row is needed only until
the token would have expired anyway.
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import delete, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from clinic.db.tables import revoked_sessions_table
from clinic.requests.store import now


class RevokedSessions:
    def __init__(self, engine: Engine):
        self.engine = engine  # its table is made by the migrations (ClinicStore)

    def revoke(self, session_id: str, token_expires: int) -> None:
        expires_at = datetime.fromtimestamp(token_expires, timezone.utc)
        try:
            with self.engine.begin() as db:
                db.execute(delete(revoked_sessions_table).where(revoked_sessions_table.c.expires_at < now()))
                db.execute(revoked_sessions_table.insert().values(session_id=session_id, expires_at=expires_at))
        except IntegrityError:  # ended twice (two tabs): already refused
            pass

    def is_revoked(self, session_id: str) -> bool:
        with self.engine.connect() as db:
            return (
                db.execute(
                    select(revoked_sessions_table.c.session_id).where(revoked_sessions_table.c.session_id == session_id)
                ).first()
                is not None
            )
