"""The figures of the console's front page, and SVG bar charts of them (no CDN, no JS)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from clinic.requests.heartbeats import last_beats
from clinic.requests.notifications import WORKER
from clinic.requests.store import ClinicStore, now

WORKER_POLL_SECONDS = 5.0  # clinic.requests.notifications.run_worker's default


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
    return [
        Bar(label, value, i * slot + slot * 0.15, height - value / top * height, slot * 0.7, value / top * height)
        for i, (label, value) in enumerate(points)
    ]


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
    return NotificationDelivery(
        (at - stamp).total_seconds(), beat.is_stale(WORKER_POLL_SECONDS, at), store.failing_notifications()
    )
