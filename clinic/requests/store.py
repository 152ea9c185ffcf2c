"""The clinic's inbox: booking and callback requests, and their outbox.

The tables are in clinic/db/tables.py; the database is clinic/db's (CLINIC_DB_URL).

A request and the notifications it owes the clinic are written in one
transaction, so a request is never stored without its notifications, and the
patient is told "sent" only after that transaction committed. Submitting the
same request twice in one conversation returns the first one.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from clinic.db import clinic_db_url, connect
from clinic.db.migrate import require_current_schema
from clinic.db.tables import notes_table, outbox_table, requests_table

STATUSES = ("new", "contacted", "booked", "closed")
KINDS = ("booking", "callback", "alert")  # alert: a safety alert (crisis or emergency), no patient text
# Reference codes avoid letters and digits that look alike (0/O, 1/I/L).
REFERENCE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class ClinicRequest:
    id: int
    reference: str
    kind: str
    conversation_id: str
    status: str
    details: dict
    assignee: str | None
    notes: str | None
    created_at: datetime

    @classmethod
    def from_row(cls, row) -> ClinicRequest:
        return cls(
            row.id,
            row.reference,
            row.kind,
            row.conversation_id,
            row.status,
            json.loads(row.details),
            row.assignee,
            row.notes,
            row.created_at,
        )


@dataclass(frozen=True)
class Note:
    at: datetime
    author: str
    text: str


@dataclass(frozen=True)
class OutboxItem:
    id: int
    request: ClinicRequest
    channel: str
    attempts: int


class ClinicStore:
    def __init__(self, url: str | None = None) -> None:
        self.url = url or clinic_db_url()
        self.engine: Engine = connect(self.url)
        require_current_schema(self.engine)

    def submit(self, kind: str, conversation_id: str, details: dict, channels: list[str]) -> tuple[ClinicRequest, bool]:
        """Stores a request with one outbox item per channel; (request, created)."""
        if kind not in KINDS:
            raise ValueError(f"unknown request kind {kind!r}")
        key = _idempotency_key(kind, conversation_id, details)
        existing = self._by_key(key)
        if existing:
            return existing, False
        stamp = now()
        try:
            with self.engine.begin() as db:
                request_id = db.execute(
                    requests_table.insert().values(
                        reference=_new_reference(),
                        idempotency_key=key,
                        kind=kind,
                        conversation_id=conversation_id,
                        status="new",
                        details=json.dumps(details, sort_keys=True),
                        created_at=stamp,
                        updated_at=stamp,
                    )
                ).inserted_primary_key[0]
                for channel in channels:
                    db.execute(
                        outbox_table.insert().values(
                            request_id=request_id, channel=channel, status="pending", attempts=0, next_attempt_at=stamp
                        )
                    )
        except IntegrityError:
            # The same request won a race with this one (a double click).
            existing = self._by_key(key)
            if existing:
                return existing, False
            raise
        created = self._by_key(key)
        assert created is not None  # committed above, and retention only deletes requests long unchanged
        return created, True

    def _by_key(self, key: str) -> ClinicRequest | None:
        with self.engine.connect() as db:
            row = db.execute(select(requests_table).where(requests_table.c.idempotency_key == key)).first()
        return ClinicRequest.from_row(row) if row else None

    def requests(self, status: str | None = None, kind: str | None = None) -> list[ClinicRequest]:
        """Newest first."""
        query = select(requests_table).order_by(requests_table.c.created_at.desc(), requests_table.c.id.desc())
        if status:
            query = query.where(requests_table.c.status == status)
        if kind:
            query = query.where(requests_table.c.kind == kind)
        with self.engine.connect() as db:
            return [ClinicRequest.from_row(row) for row in db.execute(query)]

    def count(self, status: str) -> int:
        with self.engine.connect() as db:
            return db.execute(
                select(func.count()).select_from(requests_table).where(requests_table.c.status == status)
            ).scalar_one()

    def count_by_kind(self) -> dict[str, int]:
        """Requests of each kind ("booking", "callback"), all statuses."""
        with self.engine.connect() as db:
            return dict(db.execute(select(requests_table.c.kind, func.count()).group_by(requests_table.c.kind)).all())

    def get(self, reference: str) -> ClinicRequest | None:
        with self.engine.connect() as db:
            row = db.execute(select(requests_table).where(requests_table.c.reference == reference.upper())).first()
        return ClinicRequest.from_row(row) if row else None

    def update(
        self,
        reference: str,
        status: str | None = None,
        assignee: str | None = None,
        notes: str | None = None,
        author: str = "staff",
    ) -> ClinicRequest:
        """Changes the status and assignee (None: unchanged; "" unassigns) and adds `notes`, if any, as a
        new note signed by `author`: earlier notes are kept."""
        if status and status not in STATUSES:
            raise ValueError(f"status must be one of {', '.join(STATUSES)}")
        note = (notes or "").strip()
        changes = {
            k: v for k, v in {"status": status, "assignee": assignee, "notes": note or None}.items() if v is not None
        }
        stamp = now()
        with self.engine.begin() as db:
            found = db.execute(
                select(requests_table.c.id).where(requests_table.c.reference == reference.upper())
            ).first()
            if found is None:
                raise KeyError(reference)
            db.execute(
                requests_table.update().where(requests_table.c.id == found.id).values(**changes, updated_at=stamp)
            )
            if note:
                db.execute(notes_table.insert().values(request_id=found.id, at=stamp, author=author[:64], text=note))
        updated = self.get(reference)
        assert updated is not None  # found and stamped just now: retention only deletes requests long unchanged
        return updated

    def notes(self, references: list[str]) -> dict[str, list[Note]]:
        """Each request's notes, oldest first."""
        query = (
            select(requests_table.c.reference, notes_table.c.at, notes_table.c.author, notes_table.c.text)
            .join(requests_table, notes_table.c.request_id == requests_table.c.id)
            .where(requests_table.c.reference.in_([r.upper() for r in references]))
            .order_by(notes_table.c.at, notes_table.c.id)
        )
        found: dict[str, list[Note]] = {reference: [] for reference in references}
        with self.engine.connect() as db:
            for row in db.execute(query):
                found.setdefault(row.reference, []).append(Note(row.at, row.author, row.text))
        return found

    def due_outbox(self, at: datetime | None = None, limit: int = 50) -> list[OutboxItem]:
        """Notifications whose (next) attempt is due, oldest first."""
        due = (
            select(outbox_table)
            .where(outbox_table.c.status == "pending", outbox_table.c.next_attempt_at <= (at or now()))
            .order_by(outbox_table.c.id)
            .limit(limit)
        )
        with self.engine.connect() as db:
            items = db.execute(due).all()
            return [
                OutboxItem(
                    item.id,
                    ClinicRequest.from_row(
                        db.execute(select(requests_table).where(requests_table.c.id == item.request_id)).one()
                    ),
                    item.channel,
                    item.attempts,
                )
                for item in items
            ]

    def mark_sent(self, item_id: int) -> None:
        with self.engine.begin() as db:
            db.execute(
                outbox_table.update()
                .where(outbox_table.c.id == item_id)
                .values(status="sent", sent_at=now(), last_error=None)
            )

    def mark_failed(self, item_id: int, error: str, retry_in: timedelta) -> None:
        with self.engine.begin() as db:
            db.execute(
                outbox_table.update()
                .where(outbox_table.c.id == item_id)
                .values(attempts=outbox_table.c.attempts + 1, last_error=error[:500], next_attempt_at=now() + retry_in)
            )

    def outbox_backlog(self) -> tuple[int, int]:
        """(notifications not sent yet, of which failed at least once)."""
        pending = outbox_table.c.status == "pending"
        with self.engine.connect() as db:
            return (
                db.execute(select(func.count()).select_from(outbox_table).where(pending)).scalar_one(),
                db.execute(
                    select(func.count()).select_from(outbox_table).where(pending, outbox_table.c.attempts > 0)
                ).scalar_one(),
            )

    def failing_notifications(self, limit: int = 20) -> list[dict]:
        """Notifications not sent yet that failed at least once, oldest first: for the staff console."""
        query = (
            select(
                requests_table.c.reference,
                requests_table.c.kind,
                outbox_table.c.channel,
                outbox_table.c.attempts,
                outbox_table.c.last_error,
                outbox_table.c.next_attempt_at,
            )
            .join(requests_table, outbox_table.c.request_id == requests_table.c.id)
            .where(outbox_table.c.status == "pending", outbox_table.c.attempts > 0)
            .order_by(outbox_table.c.id)
            .limit(limit)
        )
        with self.engine.connect() as db:
            return [{**row._mapping, "last_error": _error_summary(row.last_error)} for row in db.execute(query)]

    def outbox_status(self, reference: str) -> dict[str, str]:
        query = (
            select(outbox_table.c.channel, outbox_table.c.status)
            .join(requests_table, outbox_table.c.request_id == requests_table.c.id)
            .where(requests_table.c.reference == reference)
        )
        with self.engine.connect() as db:
            return dict(db.execute(query).all())

    def delete_older_than(self, cutoff: datetime) -> dict[str, int]:
        """Retention: requests (with their notes and outbox) last changed before `cutoff`, counted
        per kind. A request with a notification not sent yet is kept and counted as "unsent":
        deleting it would drop a message the clinic is owed."""
        unsent = select(outbox_table.c.request_id).where(outbox_table.c.status != "sent")
        old = (requests_table.c.updated_at < cutoff) & requests_table.c.id.not_in(unsent)
        with self.engine.begin() as db:
            counts = dict(
                db.execute(select(requests_table.c.kind, func.count()).where(old).group_by(requests_table.c.kind)).all()
            )
            kept = db.execute(
                select(func.count())
                .select_from(requests_table)
                .where((requests_table.c.updated_at < cutoff) & requests_table.c.id.in_(unsent))
            ).scalar()
            db.execute(
                outbox_table.delete().where(outbox_table.c.request_id.in_(select(requests_table.c.id).where(old)))
            )
            db.execute(notes_table.delete().where(notes_table.c.request_id.in_(select(requests_table.c.id).where(old))))
            db.execute(requests_table.delete().where(old))
        return {**{kind: counts.get(kind, 0) for kind in KINDS}, "unsent": kept}


def _error_summary(error: str | None) -> str:
    """The error's type and an HTTP status: never the rest, which can hold a webhook's secret URL."""
    kind, _, text = (error or "").partition(":")
    status = re.search(r"\bHTTP (\d{3})\b", text)
    return f"{kind} (HTTP {status.group(1)})" if status else kind


def _idempotency_key(kind: str, conversation_id: str, details: dict) -> str:
    payload = json.dumps([kind, conversation_id, details], sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()


def _new_reference() -> str:
    return "MC-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(6))
