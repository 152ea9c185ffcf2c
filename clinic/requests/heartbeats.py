"""The notification worker's heartbeat: when it last went through the outbox, and
how that went, so the staff console can tell a stopped worker from a quiet day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.engine import Engine

from clinic.db.tables import heartbeats_table
from clinic.requests.store import now


@dataclass(frozen=True)
class Heartbeat:
    worker: str
    beat_at: datetime
    sent: int
    failed: int

    def is_stale(self, poll_seconds: float, at: datetime | None = None) -> bool:
        """More than a few rounds without a beat: the worker is stopped or stuck."""
        beat = self.beat_at if self.beat_at.tzinfo else self.beat_at.replace(tzinfo=now().tzinfo)
        return (at or now()) - beat > timedelta(seconds=max(60.0, 6 * poll_seconds))


def beat(engine: Engine, worker: str, sent: int, failed: int) -> None:
    with engine.begin() as db:
        values = {"beat_at": now(), "sent": sent, "failed": failed}
        updated = db.execute(heartbeats_table.update().where(heartbeats_table.c.worker == worker).values(**values))
        if updated.rowcount == 0:
            db.execute(heartbeats_table.insert().values(worker=worker, **values))


def last_beats(engine: Engine) -> list[Heartbeat]:
    with engine.connect() as db:
        return [Heartbeat(*row) for row in db.execute(select(heartbeats_table).order_by(heartbeats_table.c.worker))]
