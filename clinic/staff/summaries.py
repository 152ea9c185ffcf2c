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

import hashlib
import itertools
import logging
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Iterator

from sqlalchemy import delete, func, insert, or_, select, text, update
from sqlalchemy.engine import Engine

from clinic.db.tables import conversation_summaries_table, ignored_table, message_summaries_table, summary_state_table
from clinic.staff.clock import clinic_day, day_bounds
from clinic.staff.conversations import Conversation, ConversationFilter, TrackerStoreReader, events_table
from clinic.staff.dashboard import AtAGlance
from clinic.staff.ignored import key as ignored_key
from clinic.staff.paging import Page, page_of
from clinic.staff.privacy import mask

logger = logging.getLogger(__name__)
ADVISORY_LOCK = 20261130  # PostgreSQL: one summariser at a time, whichever console process
LOOK_BACK = 1000  # ids below the newest where a gap may still fill, and looked at again after a restart
MOST_SEARCHED = 2500  # conversations a search for words reads, newest first: a page stays quick
EVENTS_PER_STEP = 5000  # read and folded per transaction; a page folds at most one step itself
SKIPPED_LOOKED_AT = 600.0  # seconds an id skipped over is looked for again
CATCH_UP_PAUSE = 5.0  # seconds between the background thread's looks at the tracker store

conversations_t, messages_t, state_t = conversation_summaries_table, message_summaries_table, summary_state_table


def _listed(values) -> str:
    """ ",a,b,": one value is found with LIKE '%,a,%'."""
    return "," + ",".join(sorted(values)) + "," if values else ""


def _like_listed(column, value: str):
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return column.like(f"%,{escaped},%", escape="\\")


def _day_start(day: date) -> float:
    return day_bounds(day)[0].timestamp()


def _day_end(day: date) -> float:
    return day_bounds(day)[1].timestamp()


@dataclass(frozen=True)
class Freshness:
    events_behind: int  # tracker events not summarised yet: the lists are incomplete while above 0


class ConversationSummaries:
    def __init__(self, engine: Engine, tracker: TrackerStoreReader):
        self.engine, self.tracker = engine, tracker
        # The summary belongs to one tracker store: pointed at another, it starts again.
        where = tracker.engine.url.render_as_string(hide_password=True)
        self.state = f"events@{hashlib.sha256(where.encode()).hexdigest()[:16]}"
        self._lock = threading.Lock()
        self._skipped: dict[int, float] = {}  # event id skipped over -> when first seen missing
        self._looked_back = False  # once per process: ids skipped before a restart are not remembered
        self._behind = 0

    # --- keeping it current ---------------------------------------------------------------

    def refresh(self, most_steps: int = 1, wait: bool = True) -> Freshness:
        """Summarises up to `most_steps` steps of new events; how far behind the summary still is.
        Without `wait`, a page does not queue behind the background thread: it reads what is there."""
        if not self._lock.acquire(blocking=wait):
            return Freshness(self._behind)
        try:
            for _ in range(most_steps):
                self._behind = self._step()
                if not self._behind:
                    break
            return Freshness(self._behind)
        finally:
            self._lock.release()

    def catch_up_forever(self) -> None:
        """The console's background thread: the summary stays current without a page asking."""
        while True:
            try:
                while self.refresh().events_behind:
                    pass
            except Exception as error:  # noqa: BLE001 (a database hiccup: the next look tries again)
                logger.warning("could not bring the conversation summary up to date: %s", type(error).__name__)
            time.sleep(CATCH_UP_PAUSE)

    def start_catching_up(self) -> threading.Thread:
        thread = threading.Thread(target=self.catch_up_forever, name="console-summaries", daemon=True)
        thread.start()
        return thread

    def _step(self) -> int:
        """One step: the next EVENTS_PER_STEP events' conversations folded and stored; events still to go."""
        with self.engine.begin() as db:
            if db.dialect.name == "postgresql":  # a second console process waits instead of counting twice
                db.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK})
            last = db.execute(select(state_t.c.last_event_id).where(state_t.c.name == self.state)).scalar()
            newest, rows = self._new_events(last or 0)
            if last is None or newest < last:  # never summarised, another store, or this one was replaced
                db.execute(delete(messages_t))
                db.execute(delete(conversations_t))
                db.execute(delete(state_t))
                db.execute(insert(state_t).values(name=self.state, last_event_id=0))
                self._skipped.clear()
                last = 0
                newest, rows = self._new_events(0)
            if not rows:
                return 0
            seen = {row.id for row in rows}
            read_to = max([last, *seen])
            # Only near the newest id can a gap still fill (a commit in flight); older gaps are deleted events.
            for missing in set(range(max(last, newest - LOOK_BACK) + 1, read_to + 1)) - seen:
                self._skipped.setdefault(missing, time.time())
            for found in seen:
                self._skipped.pop(found, None)
            conversation_ids = sorted({row.sender_id for row in rows})
            built = [c for c in self.tracker.built(conversation_ids)]
            for start in range(0, len(conversation_ids), 500):
                chunk = conversation_ids[start : start + 500]
                db.execute(delete(messages_t).where(messages_t.c.conversation_id.in_(chunk)))
                db.execute(delete(conversations_t).where(conversations_t.c.conversation_id.in_(chunk)))
            if built:
                db.execute(insert(conversations_t), [_conversation_row(c) for c in built])
            messages = [row for c in built for row in _message_rows(c)]
            if messages:
                db.execute(insert(messages_t), messages)
            db.execute(update(state_t).where(state_t.c.name == self.state).values(last_event_id=read_to))
        return max(newest - read_to, 0)

    def _new_events(self, last: int) -> tuple[int, list]:
        """The tracker store's newest event id, and (id, conversation) of the next events to summarise."""
        with self.tracker.engine.connect() as tracker_db:
            if not self.tracker.engine.dialect.has_table(tracker_db, "events"):
                return 0, []
            e = events_table.c
            newest = tracker_db.execute(select(func.max(e.id))).scalar() or 0
            self._skipped = {i: seen for i, seen in self._skipped.items() if time.time() - seen < SKIPPED_LOOKED_AT}
            wanted = e.id > (last if self._looked_back else max(last - LOOK_BACK, 0))
            if self._skipped:
                wanted = or_(wanted, e.id.in_(sorted(self._skipped)[:1000]))
            rows = tracker_db.execute(
                select(e.id, e.sender_id).where(wanted).order_by(e.id).limit(EVENTS_PER_STEP)
            ).all()
        self._looked_back = True
        return newest, rows

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
            yield c.started_at < _day_end(wanted.until)
        if wanted.flag:
            yield _like_listed(c.flags, wanted.flag)
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
        if wanted.text:  # the words are in the events: fold the newest narrowed conversations in order
            found = self.each(wanted, most=MOST_SEARCHED)
            return page_of(list(itertools.islice(found, (number - 1) * size, number * size + 1)), number, size)
        with self.engine.connect() as db:
            ids = list(db.execute(self._ids(wanted).limit(size + 1).offset((number - 1) * size)).scalars())
            total = db.execute(select(func.count()).select_from(conversations_t).where(*self._where(wanted))).scalar()
        return Page(list(self.tracker.built(ids[:size])), number, len(ids) > size, total)

    def each(self, wanted: ConversationFilter, most: int | None = None) -> Iterator[Conversation]:
        """The matching conversations, latest activity first, read a batch at a time (a search for words
        usually stops after a few batches, so ids are fetched as they are needed too); words are looked
        for in the `most` newest conversations the other filters leave."""
        ids = self._ids_in_order(wanted)
        found = self.tracker.built(itertools.islice(ids, most) if most else ids)
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

    def unanswered(
        self, since: date | None = None, until: date | None = None, most: int | None = None
    ) -> tuple[list[tuple[str, str, str]], int]:
        """(masked question, why, conversation id) of unanswered messages not ignored, newest first,
        at most `most` of them; and how many there are in all."""
        m = messages_t.c
        where = _unanswered_and_not_ignored()
        if since:
            where.append(m.at >= _day_start(since))
        if until:
            where.append(m.at < _day_end(until))
        query = select(m.question, m.reason, m.conversation_id).where(*where).order_by(m.at.desc(), m.id.desc())
        with self.engine.connect() as db:
            rows = db.execute(query.limit(most) if most else query).all()
            total = db.execute(select(func.count()).select_from(messages_t).where(*where)).scalar()
        return [(row.question, row.reason, row.conversation_id) for row in rows], total

    def glance(self, today: date, requests: dict[str, int], days: int = 14) -> AtAGlance:
        """The front page's figures over the last `days` clinic days: conversations, answers, escalations
        (questions staff chose to ignore are not counted as unanswered)."""
        first = today - timedelta(days=days - 1)
        since = _day_start(first)
        c, m = conversations_t.c, messages_t.c
        with self.engine.connect() as db:
            started = Counter(
                clinic_day(datetime.fromtimestamp(at, tz=timezone.utc))
                for at in db.execute(select(c.started_at).where(c.started_at >= since)).scalars()
            )
            answers = db.execute(
                select(m.answer, func.count())
                .where(m.at >= since, m.answer.isnot(None))
                .group_by(m.answer)
                .order_by(func.count().desc(), m.answer)
                .limit(8)
            ).all()
            patient_messages = db.execute(
                select(func.coalesce(func.sum(c.patient_messages), 0)).where(c.last_at >= since)
            ).scalar()
            unanswered = db.execute(
                select(func.count()).select_from(messages_t).where(m.at >= since, *_unanswered_and_not_ignored())
            ).scalar()
            tiers = db.execute(
                select(c.red_flag_tier, func.count())
                .where(c.last_at >= since, c.red_flag_tier.isnot(None))
                .group_by(c.red_flag_tier)
            ).all()
        return AtAGlance(
            per_day=[((first + timedelta(d)).strftime("%d %b"), started[first + timedelta(d)]) for d in range(days)],
            top_questions=[(answer, count) for answer, count in answers],
            patient_messages=int(patient_messages),
            unanswered_messages=int(unanswered),
            escalations=Counter(dict(tiers)),
            booking_requests=Counter(requests),
        )


def _unanswered_and_not_ignored() -> list:
    m = messages_t.c
    return [m.reason.isnot(None), m.question_key.notin_(select(ignored_table.c.question))]


def _conversation_row(conversation: Conversation) -> dict:
    return {
        "conversation_id": conversation.conversation_id,
        "started_at": conversation.started_at.timestamp(),
        "last_at": conversation.last_at.timestamp(),
        "flags": _listed(conversation.flags),
        "red_flag_tier": conversation.red_flag_tier,
        "intents": _listed(conversation.intents),
        "patient_messages": conversation.patient_turns,
    }


def _message_rows(conversation: Conversation) -> Iterator[dict]:
    for turn in conversation.turns:
        if turn.speaker != "patient":
            continue
        answer = (
            turn.answered_with.split("/", 1)[1]
            if turn.answered_with and turn.answered_with.startswith("utter_faq/")
            else None
        )
        question = mask(turn.text, conversation.names_given) if turn.unanswered and turn.text.strip() else None
        if answer or question:
            yield {
                "conversation_id": conversation.conversation_id,
                "at": turn.at.timestamp(),
                "answer": answer,
                "question": question,
                "question_key": ignored_key(question) if question else None,
                "reason": turn.unanswered if question else None,
            }
