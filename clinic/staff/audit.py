"""The audit log: who logged in, viewed a transcript, revealed details or exported."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import insert, select
from sqlalchemy.engine import Engine

from clinic.db.tables import audit_table
from clinic.requests.store import now
from clinic.staff.clock import day_bounds
from clinic.staff.paging import Page, page_of


@dataclass(frozen=True)
class AuditFilter:
    username: str | None = None
    action: str | None = None
    day: date | None = None  # the clinic's calendar day


class AuditLog:
    def __init__(self, engine: Engine):
        self.engine = engine

    def record(self, username: str, action: str, target: str | None = None, address: str | None = None) -> None:
        with self.engine.begin() as db:
            db.execute(
                insert(audit_table).values(at=now(), username=username, action=action, target=target, address=address)
            )

    def record_once(self, username: str, action: str, address: str, within: timedelta) -> None:
        """Records unless this address already has this action in the log within `within`:
        an attacker retrying all day costs one row per window, not one per try."""
        with self.engine.begin() as db:
            recorded = db.execute(
                select(audit_table.c.id)
                .where(
                    audit_table.c.action == action, audit_table.c.address == address, audit_table.c.at > now() - within
                )
                .limit(1)
            ).first()
            if recorded is None:
                db.execute(insert(audit_table).values(at=now(), username=username, action=action, address=address))

    def recently(self, username: str, action: str, target: str, within: timedelta) -> bool:
        """Whether `username` did `action` on `target` within `within` (a reveal still in force)."""
        with self.engine.connect() as db:
            return (
                db.execute(
                    select(audit_table.c.id)
                    .where(
                        audit_table.c.username == username,
                        audit_table.c.action == action,
                        audit_table.c.target == target,
                        audit_table.c.at > now() - within,
                    )
                    .limit(1)
                ).first()
                is not None
            )

    def entries(self, limit: int = 500) -> list:
        return self.page(size=limit).items

    def page(self, wanted: AuditFilter = AuditFilter(), number: int = 1, size: int = 100) -> Page:
        """Newest first."""
        query = select(audit_table).order_by(audit_table.c.id.desc())
        if wanted.username:
            query = query.where(audit_table.c.username == wanted.username)
        if wanted.action:
            query = query.where(audit_table.c.action == wanted.action)
        if wanted.day:
            start, end = day_bounds(wanted.day)
            query = query.where(audit_table.c.at >= start, audit_table.c.at < end)
        with self.engine.connect() as db:
            return page_of(list(db.execute(query.limit(size + 1).offset((number - 1) * size))), number, size)

    def actions(self) -> list[str]:
        with self.engine.connect() as db:
            return list(db.execute(select(audit_table.c.action).distinct().order_by(audit_table.c.action)).scalars())
