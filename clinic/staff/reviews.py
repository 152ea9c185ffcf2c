"""Staff's marks on a conversation: reviewed, tags and notes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.engine import Engine

from clinic.db.tables import reviews_table
from clinic.requests.store import now


@dataclass(frozen=True)
class Review:
    reviewed: bool = False
    tags: tuple[str, ...] = ()
    notes: str = ""


def review_changes(before: Review, after: Review) -> str:
    """What a review save changed, for the audit log: "reviewed no→yes; tags +follow up −booking; notes"."""
    said = []
    if before.reviewed != after.reviewed:
        said.append(f"reviewed {'yes' if before.reviewed else 'no'}→{'yes' if after.reviewed else 'no'}")
    added = [f"+{t}" for t in after.tags if t not in before.tags]
    removed = [f"−{t}" for t in before.tags if t not in after.tags]
    if added or removed:
        said.append("tags " + " ".join(added + removed))
    if before.notes != after.notes:
        said.append("notes")  # what they say stays out of the log: they may name the patient
    return "; ".join(said) or "nothing changed"


def parse_tags(text: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(t.strip().lower() for t in text.split(",") if t.strip()))


class ConversationReviews:
    def __init__(self, engine: Engine):
        self.engine = engine

    def all(self) -> dict[str, Review]:
        with self.engine.connect() as db:
            return {
                row.conversation_id: Review(row.reviewed, parse_tags(row.tags), row.notes)
                for row in db.execute(select(reviews_table))
            }

    def get(self, conversation_id: str) -> Review:
        return self.all_for([conversation_id]).get(conversation_id, Review())

    def all_for(self, conversation_ids: list[str]) -> dict[str, Review]:
        with self.engine.connect() as db:
            rows = db.execute(select(reviews_table).where(reviews_table.c.conversation_id.in_(conversation_ids)))
            return {row.conversation_id: Review(row.reviewed, parse_tags(row.tags), row.notes) for row in rows}

    def tagged(self, tag: str) -> set[str]:
        """The conversations with this tag (LIKE narrows, the exact tags decide)."""
        with self.engine.connect() as db:
            rows = db.execute(
                select(reviews_table.c.conversation_id, reviews_table.c.tags).where(
                    reviews_table.c.tags.contains(tag, autoescape=True)
                )
            )
            return {row.conversation_id for row in rows if tag in parse_tags(row.tags)}

    def save(self, conversation_id: str, review: Review, username: str) -> None:
        values = {
            "reviewed": review.reviewed,
            "tags": ",".join(review.tags),
            "notes": review.notes,
            "updated_by": username,
            "updated_at": now(),
        }
        with self.engine.begin() as db:
            updated = db.execute(
                reviews_table.update().where(reviews_table.c.conversation_id == conversation_id).values(**values)
            )
            if not updated.rowcount:
                db.execute(reviews_table.insert().values(conversation_id=conversation_id, **values))

    def delete_older_than(self, cutoff: datetime) -> int:
        """Retention: reviews (tags and notes) last saved before `cutoff`."""
        with self.engine.begin() as db:
            return db.execute(reviews_table.delete().where(reviews_table.c.updated_at < cutoff)).rowcount
