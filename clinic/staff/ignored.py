"""Unanswered questions staff chose to ignore ("hi", a test message, a joke): hidden for good.

Kept by their masked text, the way the Unanswered page shows them, so the same
words never come back; a new phrasing of the question is new evidence and shows.
"""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from clinic.db.tables import ignored_table
from clinic.requests.store import now


def key(question: str) -> str:
    return " ".join(question.lower().split())[:500]


class IgnoredQuestions:
    def __init__(self, engine: Engine):
        self.engine = engine

    def ignore(self, questions: list[str], username: str) -> int:
        """Hides these questions; how many were not hidden already."""
        added = 0
        for question in {key(q) for q in questions if q.strip()}:
            try:
                with self.engine.begin() as db:
                    db.execute(ignored_table.insert().values(question=question, ignored_by=username, ignored_at=now()))
                added += 1
            except IntegrityError:  # ignored before (two tabs, two colleagues)
                pass
        return added
