"""Conversations as staff see them, read straight from Rasa's SQL tracker store.

The tracker store's `events` table (sender_id, type_name, timestamp,
intent_name, action_name, data) is read with SQLAlchemy only: the console never
imports Rasa. SQLite `rasa.db` by default; CLINIC_TRACKER_DB_URL for PostgreSQL.

The store can hold years of conversations: list pages pick them from a summary
(clinic.staff.summaries) and read the events of their own conversations only.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from itertools import islice
from typing import Iterable, Iterator

from sqlalchemy import (
    Column,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    delete,
    func,
    select,
)

from clinic import PROJECT_ROOT, names
from clinic.nlp.tiers import most_serious

DEFAULT_TRACKER_URL = f"sqlite:///{PROJECT_ROOT / 'rasa.db'}"
BATCH = 100  # conversations whose events are read from the store at a time

# What counts as "the assistant could not answer" (see data/rules.yml and data/faq/ask_the_clinic.yml).
OUT_OF_SCOPE_RESPONSES = {"utter_out_of_scope"}
NOT_IN_ARTICLE_PREFIX = "utter_faq/ask_clinic_"
NOT_IN_ARTICLE_RESPONSE = "utter_not_in_article"  # a readable question no topic answers (actions/scope.py)
SUBMIT_ACTIONS: dict[str | None, str] = {"action_submit_booking": "booking", "action_submit_callback": "callback"}
FLAGS = {
    "crisis": "Crisis",
    "red_flag": "Red flag",
    "unanswered": "Fallback / unanswered",
    "booking": "Booking made",
    "callback": "Callback asked",
    "out_of_scope": "Out of scope",
}

events_table = Table(
    "events",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255)),
    Column("type_name", String(255)),
    Column("timestamp", Float),
    Column("intent_name", String(255)),
    Column("action_name", String(255)),
    Column("data", Text),
)


@dataclass
class Turn:
    """One message: who said it, what, and for patient turns what the assistant understood."""

    speaker: str  # "patient" or "assistant"
    text: str
    at: datetime
    intent: str | None = None
    confidence: float | None = None
    answer: str | None = None  # the FAQ key chosen, e.g. "faq/does_it_hurt"
    answer_confidence: float | None = None
    response: str | None = None  # for assistant turns: the response name
    unanswered: str | None = None  # why a patient turn went unanswered
    answered_with: str | None = None  # the first response the patient got to this turn
    escalated: bool = False  # crisis language or a red flag: never a candidate FAQ
    form_answer: bool = False  # typed while a form asked for something (a name, "skip"): never unanswered
    questions: list[str] = field(default_factory=list)  # every FAQ asked in the message, in order
    read_with_topic: str | None = None  # a follow-up, read with this earlier topic
    topic: str | None = None  # the conversation's topic after this turn (slot faq_topic)


@dataclass
class Conversation:
    conversation_id: str
    started_at: datetime
    last_at: datetime
    turns: list[Turn] = field(default_factory=list)
    intents: set[str] = field(default_factory=set)
    flags: set[str] = field(default_factory=set)
    red_flag_tier: str | None = None
    references: list[str] = field(default_factory=list)
    names_given: set[str] = field(default_factory=set)

    @property
    def patient_turns(self) -> int:
        return sum(t.speaker == "patient" for t in self.turns)

    @property
    def first_question(self) -> str:
        return next((t.text for t in self.turns if t.speaker == "patient"), "")

    def matches(self, text: str) -> bool:
        needle = text.casefold()
        return any(needle in t.text.casefold() for t in self.turns)


def _timestamp(value: float) -> datetime:
    return datetime.fromtimestamp(value, tz=timezone.utc)


def build_conversation(conversation_id: str, rows) -> Conversation | None:
    """Folds a conversation's event rows, in order, into what staff need to see."""
    fold = None
    for row in rows:
        at = _timestamp(row.timestamp)
        fold = fold or ConversationFold(Conversation(conversation_id, at, at))
        fold.add(json.loads(row.data), at)
    if fold is None:
        return None
    conversation = fold.conversation
    if any(t.unanswered == "fallback" for t in conversation.turns):
        conversation.flags.add("unanswered")
    return conversation


class ConversationFold:
    """The reading of one conversation, event by event."""

    def __init__(self, conversation: Conversation) -> None:
        self.conversation = conversation
        self.pending: Turn | None = None  # the last patient turn, waiting for the reply that shows if it was answered
        self.submitted: str | None = None  # "booking" or "callback" after the action that stores a request
        self.in_form = False  # a form (booking, callback) is asking its questions

    def add(self, data: dict, at: datetime) -> None:
        self.conversation.last_at = at
        kind = data.get("event")
        if kind == "user" and not (data.get("text") or "").startswith("/"):  # "/greet": a widget payload
            self.patient(data, at)
        elif kind == "bot":
            self.assistant(data, at)
        elif kind == "slot":
            self.slot(data.get("name"), data.get("value"))
        elif kind == "active_loop":
            self.in_form = bool(data.get("name"))
        elif kind == "action":
            self.action(data.get("name"))

    def patient(self, data: dict, at: datetime) -> None:
        conversation = self.conversation
        parse = data.get("parse_data") or {}
        intent = parse.get("intent") or {}
        selectors = parse.get("response_selector") or {}
        selected = (selectors.get("faq") or selectors.get("default") or {}).get("response") or {}
        pending = self.pending = Turn(
            "patient",
            data.get("text") or "",
            at,
            intent.get("name"),
            intent.get("confidence"),
            escalated=intent.get("name") == "red_flag" or bool(parse.get("red_flags")),
            form_answer=self.in_form,
        )
        if intent.get("name") == "faq":
            pending.answer = selected.get("intent_response_key")
            pending.answer_confidence = selected.get("confidence")
            pending.questions = [q.get("topic") for q in parse.get("questions") or []]
            pending.read_with_topic = parse.get("read_with_topic")
        if pending.intent:
            conversation.intents.add(pending.intent)
        if pending.intent == "out_of_scope":
            conversation.flags.add("out_of_scope")
        if pending.intent == "nlu_fallback" and not (pending.escalated or pending.form_answer):
            pending.unanswered = "fallback"
        conversation.turns.append(pending)

    def assistant(self, data: dict, at: datetime) -> None:
        pending = self.pending
        response = (data.get("metadata") or {}).get("utter_action")
        self.conversation.turns.append(Turn("assistant", data.get("text") or "", at, response=response))
        reason = unanswered_reason(response)
        if pending is not None:
            pending.answered_with = pending.answered_with or response
            if pending.escalated or pending.form_answer:
                reason = None  # a crisis, a red flag or a form's answer is never a candidate FAQ
        if reason and pending is not None:
            pending.unanswered = pending.unanswered or reason
        if reason:
            self.conversation.flags.add("out_of_scope" if reason == "out of scope" else "unanswered")

    def slot(self, name: str | None, value) -> None:
        conversation = self.conversation
        if name == names.RED_FLAG_TIER and value:
            conversation.flags.add("red_flag")
            conversation.red_flag_tier = most_serious(conversation.red_flag_tier, value)
            if value == "crisis":
                conversation.flags.add("crisis")
        elif name == names.REQUEST_REFERENCE and value and self.submitted:
            conversation.references.append(value)
            conversation.flags.add(self.submitted)  # only a stored request counts, not a failed attempt
        elif name == names.PATIENT_NAME and value:
            conversation.names_given.add(str(value))
        elif name == names.TOPIC and self.pending is not None:
            self.pending.topic = value

    def action(self, name: str | None) -> None:
        self.submitted = SUBMIT_ACTIONS.get(name, self.submitted)
        pending = self.pending
        if name == "action_default_fallback" and pending is not None:
            if not (pending.escalated or pending.form_answer):
                pending.unanswered = pending.unanswered or "fallback"
                self.conversation.flags.add("unanswered")


def unanswered_reason(response: str | None) -> str | None:
    if response in names.FALLBACK_RESPONSES:
        return "fallback"
    if response in OUT_OF_SCOPE_RESPONSES:
        return "out of scope"
    if response and (response == NOT_IN_ARTICLE_RESPONSE or response.startswith(NOT_IN_ARTICLE_PREFIX)):
        return "not in the article"
    return None


@dataclass(frozen=True)
class ConversationFilter:
    """What a list of conversations is narrowed to (clinic.staff.summaries applies it)."""

    since: date | None = None  # activity on or after this day
    until: date | None = None  # ... on or before this day
    flag: str | None = None
    intent: str | None = None
    text: str | None = None  # words in any message
    red_flag_tier: str | None = None
    only: frozenset[str] | None = None  # these conversations only (those with a staff tag, say)


class TrackerStoreReader:
    def __init__(self, url: str | None = None):
        self.url = url or os.environ.get("CLINIC_TRACKER_DB_URL") or DEFAULT_TRACKER_URL
        self.engine = create_engine(self.url, future=True, pool_pre_ping=True)  # opened afresh: a replaced file is seen

    def _run(self, query) -> list:
        with self.engine.connect() as db:
            if not self.engine.dialect.has_table(db, "events"):
                return []
            return list(db.execute(query))

    def _rows(self, conversation_ids: list[str]):
        query = (
            select(events_table.c.sender_id, events_table.c.timestamp, events_table.c.data)
            .where(events_table.c.sender_id.in_(conversation_ids))
            .order_by(events_table.c.id)
        )
        return self._run(query)

    def built(self, conversation_ids: Iterable[str]) -> Iterator[Conversation]:
        """The conversations, in the order given, reading the events of BATCH of them at a time."""
        ids = iter(conversation_ids)
        while batch := list(islice(ids, BATCH)):
            rows_of: dict[str, list] = {}
            for row in self._rows(batch):
                rows_of.setdefault(row.sender_id, []).append(row)
            for conversation_id in batch:
                conversation = build_conversation(conversation_id, rows_of.get(conversation_id, []))
                if conversation and conversation.turns:
                    yield conversation

    def conversations(self) -> list[Conversation]:
        """Every conversation, latest activity first (small stores and tests; pages read the summary)."""
        e = events_table.c
        latest_first = select(e.sender_id).group_by(e.sender_id).order_by(func.max(e.timestamp).desc(), e.sender_id)
        return list(self.built(row.sender_id for row in self._run(latest_first)))

    def conversation(self, conversation_id: str) -> Conversation | None:
        rows = self._rows([conversation_id])
        return build_conversation(conversation_id, rows) if rows else None

    def delete_older_than(self, cutoff: datetime) -> int:
        """Deletes every conversation whose last event is before `cutoff`; returns how many."""
        with self.engine.begin() as db:
            if not self.engine.dialect.has_table(db, "events"):
                return 0
            stale = (
                select(events_table.c.sender_id)
                .group_by(events_table.c.sender_id)
                .having(func.max(events_table.c.timestamp) < cutoff.timestamp())
            )
            ids = list(db.execute(stale).scalars())
            for start in range(0, len(ids), 500):
                db.execute(delete(events_table).where(events_table.c.sender_id.in_(ids[start : start + 500])))
            return len(ids)
