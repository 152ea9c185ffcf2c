"""The figures of the console's front page, and SVG bar charts of them (no CDN, no JS)."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta

from clinic.heartbeats import last_beats
from clinic.notifications import WORKER
from clinic.staff.conversations import Conversation
from clinic.store import ClinicStore, now

WORKER_POLL_SECONDS = 5.0  # clinic.notifications.run_worker's default


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    x: float
    y: float
    width: float
    height: float


def bar_chart(points: list[tuple[str, int]], width: int = 640, height: int = 160) -> list[Bar]:
    """Bars for (label, value) points, scaled to a `width` × `height` drawing."""
    if not points:
        return []
    top = max(value for _, value in points) or 1
    slot = width / len(points)
    return [Bar(label, value, i * slot + slot * 0.15, height - value / top * height, slot * 0.7,
                value / top * height) for i, (label, value) in enumerate(points)]


@dataclass(frozen=True)
class AtAGlance:
    per_day: list[tuple[str, int]]
    top_questions: list[tuple[str, int]]
    patient_messages: int
    unanswered_messages: int
    escalations: Counter
    booking_requests: Counter

    @property
    def fallback_rate(self) -> float:
        return self.unanswered_messages / self.patient_messages if self.patient_messages else 0.0


def at_a_glance(conversations: list[Conversation], requests: list, today: date, days: int = 14) -> AtAGlance:
    first = today - timedelta(days=days - 1)
    per_day = Counter(c.started_at.date() for c in conversations)
    patient_turns = [t for c in conversations for t in c.turns if t.speaker == "patient"]
    return AtAGlance(
        per_day=[((first + timedelta(d)).strftime("%d %b"), per_day[first + timedelta(d)]) for d in range(days)],
        top_questions=Counter(t.answered_with.split("/", 1)[1] for t in patient_turns  # answers given, not form replies
                              if (t.answered_with or "").startswith("utter_faq/")).most_common(8),
        patient_messages=len(patient_turns),
        unanswered_messages=sum(bool(t.unanswered) for t in patient_turns),
        escalations=Counter(c.red_flag_tier for c in conversations if c.red_flag_tier),
        booking_requests=Counter(r.kind for r in requests),
    )


@dataclass(frozen=True)
class NotificationDelivery:
    last_beat_seconds: float | None  # None: the worker never ran against this database
    stale: bool
    failing: list[dict]


def notification_delivery(store: ClinicStore) -> NotificationDelivery:
    """Whether email and webhook notifications are going out: the worker's heartbeat and what keeps failing."""
    beat = next((b for b in last_beats(store.engine) if b.worker == WORKER), None)
    at = now()
    if beat is None:
        return NotificationDelivery(None, True, store.failing_notifications())
    stamp = beat.beat_at if beat.beat_at.tzinfo else beat.beat_at.replace(tzinfo=at.tzinfo)
    return NotificationDelivery((at - stamp).total_seconds(), beat.is_stale(WORKER_POLL_SECONDS, at),
                                store.failing_notifications())
