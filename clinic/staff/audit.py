"""The audit log: who logged in, viewed a transcript, revealed details or exported."""
from __future__ import annotations

from sqlalchemy import insert, select
from sqlalchemy.engine import Engine

from clinic.staff.tables import audit_table
from clinic.store import now


class AuditLog:
    def __init__(self, engine: Engine):
        self.engine = engine

    def record(self, username: str, action: str, target: str | None = None, address: str | None = None) -> None:
        with self.engine.begin() as db:
            db.execute(insert(audit_table).values(at=now(), username=username, action=action,
                                                  target=target, address=address))

    def entries(self, limit: int = 500) -> list:
        with self.engine.connect() as db:
            return list(db.execute(select(audit_table).order_by(audit_table.c.id.desc()).limit(limit)))
