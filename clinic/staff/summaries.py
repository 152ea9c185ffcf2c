"""The console's list pages over a tracker store of any size.

A summary of each conversation (dates, flags, tier, intents, messages) and of the
patient messages the pages count (the FAQ answer given, or why it went unanswered)
lives in the clinic database. It is brought up to date from the tracker store's
events newer than the last event id it read: each conversation with new events is
folded again by `build_conversation`, the transcript's own reading, and its rows
replaced. So a list page reads a few indexed rows, never every event.

Under PostgreSQL an event can become visible after one with a higher id (two
replicas committing at once): ids skipped over are looked at again for a while.
"""
from __future__ import annotations

import itertools
import logging
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Iterator

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.engine import Engine

from clinic.staff.conversations import Conversation, ConversationFilter, TrackerStoreReader, events_table
from clinic.staff.dashboard import AtAGlance
from clinic.staff.ignored import ignored_table, key as ignored_key
from clinic.staff.paging import Page, page_of
from clinic.staff.privacy import mask
from clinic.staff.tables import conversation_summaries_table, message_summaries_table, summary_state_table

logger = logging.getLogger(__name__)
STATE = "tracker_events"
EVENTS_PER_STEP = 5000  # read and folded per transaction; a page waits for at most one step
SKIPPED_LOOKED_AT = 600.0  # seconds an id skipped over is looked for again
CATCH_UP_PAUSE = 5.0  # seconds between the background thread's looks at the tracker store

conversations_t, messages_t = conversation_summaries_table, message_summaries_table


def _listed(values) -> str:
    """",a,b,": one value is found with LIKE '%,a,%'."""
    return "," + ",".join(sorted(values)) + "," if values else ""


def _like_listed(column, value: str):
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return column.like(f"%,{escaped},%", escape="\\")


def _day_start(day: date) -> float:
    return datetime.combine(day, datetime.min.time(), tzinfo=timezone.utc).timestamp()


@dataclass(frozen=True)
class Freshness:
    events_behind: int  # tracker events not summarised yet: the lists are incomplete while above 0


class ConversationSummaries:
    def __init__(self, engine: Engine, tracker: TrackerStoreReader):
        self.engine, self.tracker = engine, tracker
        self._lock = threading.Lock()
        self._skipped: dict[int, float] = {}  # event id skipped over -> when first seen missing

    # --- keeping it current ---------------------------------------------------------------

    def refresh(self, most_steps: int = 1) -> Freshness:
        """Summarises up to `most_steps` steps of new events; how far behind the summary still is."""
        with self._lock:
            for _ in range(most_steps):
                behind = self._step()
                if behind == 0:
                    return Freshness(0)
            return Freshness(behind)

    def catch_up_forever(self) -> None:
        """The console's background thread: the summary stays current without a page asking."""
        while True:
            try:
                while self.refresh(most_steps=1).events_behind:
                    pass
            except Exception as error:  # noqa: BLE001 (a database hiccup: the next look tries again)
                logger.warning("could not bring the conversation summary up to date: %s", type(error).__name__)
            time.sleep(CATCH_UP_PAUSE)

    def start_catching_up(self) -> threading.Thread:
        thread = threading.Thread(target=self.catch_up_forever, name="console-summaries", daemon=True)
        thread.start()
        return thread

    def _last_event_id(self, db) -> int | None:
        return db.execute(select(summary_state_table.c.last_event_id)
                          .where(summary_state_table.c.name == STATE)).scalar()

    def _step(self) -> int:
        """One step: the next EVENTS_PER_STEP events' conversations folded and stored; events still to go."""
        with self.tracker.engine.connect() as tracker_db:
            if not self.tracker.engine.dialect.has_table(tracker_db, "events"):
                return 0
            newest = tracker_db.execute(select(func.max(events_table.c.id))).scalar() or 0
            with self.engine.connect() as db:
                last = self._last_event_id(db)
            if last is None or newest < last:  # never summarised, or the tracker store was replaced
                self._forget_everything()
                last = 0
            self._skipped = {i: seen for i, seen in self._skipped.items() if time.time() - seen < SKIPPED_LOOKED_AT}
            e = events_table.c
            wanted = e.id > last
            if self._skipped:
                wanted = or_(wanted, e.id.in_(sorted(self._skipped)[:1000]))
            rows = tracker_db.execute(select(e.id, e.sender_id).where(wanted).order_by(e.id)
                                      .limit(EVENTS_PER_STEP)).all()
        if not rows:
            return 0
        seen = {row.id for row in rows}
        read_to = max([last, *seen])
        # Only near the newest id can a gap still fill (a commit in flight); older gaps are deleted events.
        for missing in set(range(max(last, newest - 1000) + 1, read_to + 1)) - seen:
            self._skipped.setdefault(missing, time.time())
        for found in seen:
            self._skipped.pop(found, None)
        conversation_ids = sorted({row.sender_id for row in rows})
        built = {c.conversation_id: c for c in self.tracker.built(conversation_ids)}
        with self.engine.begin() as db:
            for start in range(0, len(conversation_ids), 500):
                chunk = conversation_ids[start:start + 500]
                db.execute(delete(messages_t).where(messages_t.c.conversation_id.in_(chunk)))
                db.execute(delete(conversations_t).where(conversations_t.c.conversation_id.in_(chunk)))
            summaries = [_conversation_row(c) for c in built.values()]
            messages = [row for c in built.values() for row in _message_rows(c)]
            if summaries:
                db.execute(insert(conversations_t), summaries)
            if messages:
                db.execute(insert(messages_t), messages)
            if self._last_event_id(db) is None:
                db.execute(insert(summary_state_table).values(name=STATE, last_event_id=read_to))
            else:
                db.execute(update(summary_state_table).where(summary_state_table.c.name == STATE)
                           .values(last_event_id=read_to))
        return max(newest - read_to, 0)

    def _forget_everything(self) -> None:
        with self.engine.begin() as db:
            db.execute(delete(messages_t))
            db.execute(delete(conversations_t))
            db.execute(delete(summary_state_table))
        self._skipped.clear()

    def forget_older_than(self, cutoff: datetime) -> None:
        """Retention: the summaries of conversations the tracker store no longer holds."""
        with self.engine.begin() as db:
            old = select(conversations_t.c.conversation_id).where(conversations_t.c.last_at < cutoff.timestamp())
            db.execute(delete(messages_t).where(messages_t.c.conversation_id.in_(old)))
            db.execute(delete(conversations_t).where(conversations_t.c.last_at < cutoff.timestamp()))

    # --- what the pages read --------------------------------------------------------------

    def _where(self, wanted: ConversationFilter):
        c = conversations_t.c
        if wanted.since:
            yield c.last_at >= _day_start(wanted.since)
        if wanted.until:
            yield c.started_at < _day_start(wanted.until) + 86400
        if wanted.flag:
            yield _like_listed(c.flags, wanted.flag)
        if wanted.any_flag:
            yield or_(*(_like_listed(c.flags, flag) for flag in wanted.any_flag))
        if wanted.red_flag_tier:
            yield c.red_flag_tier == wanted.red_flag_tier
        if wanted.intent:
            yield _like_listed(c.intents, wanted.intent)
        if wanted.only is not None:
            yield c.conversation_id.in_(sorted(wanted.only))

    def _ids(self, wanted: ConversationFilter):
        c = conversations_t.c
        return select(c.conversation_id).where(*self._where(wanted)).order_by(c.last_at.desc(), c.conversation_id)

    def page(self, wanted: ConversationFilter, number: int = 1, size: int = 50) -> Page:
        """Page `number` of the matching conversations, latest activity first."""
        if wanted.text:  # the words are in the events: fold the narrowed conversations in order
            return page_of(list(itertools.islice(self.each(wanted), (number - 1) * size, number * size + 1)), number, size)
        with self.engine.connect() as db:
            ids = list(db.execute(self._ids(wanted).limit(size + 1).offset((number - 1) * size)).scalars())
            total = db.execute(select(func.count()).select_from(conversations_t)
                               .where(*self._where(wanted))).scalar()
        return Page(list(self.tracker.built(ids[:size])), number, len(ids) > size, total)

    def each(self, wanted: ConversationFilter) -> Iterator[Conversation]:
        """The matching conversations, latest activity first, read a batch at a time (a search for words
        usually stops after a few batches, so ids are fetched as they are needed too)."""
        found = self.tracker.built(self._ids_in_order(wanted))
        return (c for c in found if c.matches(wanted.text)) if wanted.text else found

    def _ids_in_order(self, wanted: ConversationFilter, batch: int = 500) -> Iterator[str]:
        for offset in itertools.count(0, batch):
            with self.engine.connect() as db:
                ids = list(db.execute(self._ids(wanted).limit(batch).offset(offset)).scalars())
            yield from ids
            if len(ids) < batch:
                return

    def intents(self) -> list[str]:
        """Every intent a patient message was understood as (for the filter's list)."""
        with self.engine.connect() as db:
            combinations = db.execute(select(conversations_t.c.intents).distinct()).scalars()
            return sorted({intent for listed in combinations for intent in listed.strip(",").split(",") if intent})

    def unanswered(self, since: date | None = None, until: date | None = None,
                   most: int | None = None) -> tuple[list[tuple[str, str, str]], int]:
        """(masked question, why, conversation id) of unanswered messages not ignored, newest first,
        at most `most` of them; and how many there are in all."""
        m = messages_t.c
        where = [m.reason.isnot(None), m.question_key.notin_(select(ignored_table.c.question))]
        if since:
            where.append(m.at >= _day_start(since))
        if until:
            where.append(m.at < _day_start(until) + 86400)
        query = select(m.question, m.reason, m.conversation_id).where(*where).order_by(m.at.desc(), m.id.desc())
        with self.engine.connect() as db:
            rows = db.execute(query.limit(most) if most else query).all()
            total = db.execute(select(func.count()).select_from(messages_t).where(*where)).scalar()
        return [(row.question, row.reason, row.conversation_id) for row in rows], total

    def glance(self, today: date, requests: dict[str, int], days: int = 14) -> AtAGlance:
        """The front page's figures over the last `days` days: conversations, answers, escalations."""
        first = today - timedelta(days=days - 1)
        since = _day_start(first)
        c, m = conversations_t.c, messages_t.c
        with self.engine.connect() as db:
            started = Counter(datetime.fromtimestamp(at, tz=timezone.utc).date() for at in db.execute(
                select(c.started_at).where(c.started_at >= since)).scalars())
            answers = db.execute(select(m.answer, func.count()).where(m.at >= since, m.answer.isnot(None))
                                 .group_by(m.answer).order_by(func.count().desc(), m.answer).limit(8)).all()
            patient_messages = db.execute(select(func.coalesce(func.sum(c.patient_messages), 0))
                                          .where(c.last_at >= since)).scalar()
            unanswered = db.execute(select(func.count()).select_from(messages_t)
                                    .where(m.at >= since, m.reason.isnot(None))).scalar()
            tiers = db.execute(select(c.red_flag_tier, func.count()).where(c.last_at >= since,
                                                                           c.red_flag_tier.isnot(None))
                               .group_by(c.red_flag_tier)).all()
        return AtAGlance(
            per_day=[((first + timedelta(d)).strftime("%d %b"), started[first + timedelta(d)]) for d in range(days)],
            top_questions=[(answer, count) for answer, count in answers],
            patient_messages=int(patient_messages), unanswered_messages=int(unanswered),
            escalations=Counter(dict(tiers)), booking_requests=Counter(requests))


def _conversation_row(conversation: Conversation) -> dict:
    return {"conversation_id": conversation.conversation_id,
            "started_at": conversation.started_at.timestamp(), "last_at": conversation.last_at.timestamp(),
            "flags": _listed(conversation.flags), "red_flag_tier": conversation.red_flag_tier,
            "intents": _listed(conversation.intents), "patient_messages": conversation.patient_turns}


def _message_rows(conversation: Conversation) -> Iterator[dict]:
    for turn in conversation.turns:
        if turn.speaker != "patient":
            continue
        answer = turn.answered_with.split("/", 1)[1] if (turn.answered_with or "").startswith("utter_faq/") else None
        question = mask(turn.text, conversation.names_given) if turn.unanswered and turn.text.strip() else None
        if answer or question:
            yield {"conversation_id": conversation.conversation_id, "at": turn.at.timestamp(), "answer": answer,
                   "question": question, "question_key": ignored_key(question) if question else None,
                   "reason": turn.unanswered if question else None}
