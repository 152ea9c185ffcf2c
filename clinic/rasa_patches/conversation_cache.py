"""Speed: recent conversations kept in memory by the Rasa server, checked against the database.

Replaces SQLTrackerStore.retrieve and SQLTrackerStore.save.

Rasa's SQL tracker store rebuilds a conversation from the database on every
read: an ORM query, a JSON parse and an Event object per stored event. Each
patient message reads its conversation twice (the widget channel, then Rasa)
and counts its stored events again to save: about a third of the server's CPU
under four patients on 2 cores (py-spy).

Here each server keeps the events of the conversations it last read or saved,
with the database's signature of that conversation at that moment: how many
events it holds and the newest event's id. A read asks the database for the
signature alone (one indexed query) and rebuilds the conversation from memory
when it has not changed. Any change made elsewhere (another replica, Rasa's
HTTP API, retention deleting a conversation) changes the signature, and the
conversation is read from the database as before. What a patient's turn wrote
is what the next turn reads; a save that another writer raced keeps no copy.

The events are shared between the trackers built from them, as Rasa itself does
when it replays a tracker (`DialogueStateTracker.init_copy` + the same events).
"""

from __future__ import annotations

import json
import logging
from collections import OrderedDict
from dataclasses import dataclass
from typing import Optional

import sqlalchemy as sa
from rasa.shared.core.events import Event, SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

from clinic.rasa_patches.fit import Name

logger = logging.getLogger(__name__)

STORE = "rasa.core.tracker_store"
REPLACES = (
    Name(STORE, "SQLTrackerStore.retrieve", ("self", "sender_id")),
    Name(STORE, "SQLTrackerStore.save", ("self", "tracker")),
)
RELIES_ON = (
    Name(STORE, "SQLTrackerStore._retrieve", ("self", "sender_id", "fetch_events_from_all_sessions")),
    Name(STORE, "SQLTrackerStore._event_query", ("self", "session", "sender_id", "fetch_events_from_all_sessions")),
    Name(STORE, "SQLTrackerStore.stream_events", ("self", "tracker")),
    Name(STORE, "SQLTrackerStore.session_scope", ("self",)),
    Name(STORE, "SQLTrackerStore.SQLEvent"),
    # What Rasa's own save writes, so that ours writes the same rows (event_row below).
    Name(
        STORE,
        "SQLTrackerStore.save",
        mentions=("sender_id=", "type_name=", "timestamp=", "intent_name=", "action_name=", "data=json.dumps(data)"),
    ),
)

KEPT = 100  # conversations per server (~0.15 MB each): a clinic's patients chatting at once, with room to spare
# (events stored for the conversation, newest event id, newest timestamp): SQLite reuses the
# highest ids after a delete, so a conversation deleted and written again needs all three.
Signature = tuple[int, Optional[int], Optional[float]]
NOTHING_STORED: Signature = (0, None, None)


@dataclass(frozen=True)
class Kept:
    signature: Signature
    events: tuple[Event, ...]  # the current session's events, as Rasa's retrieve returns them


class RecentConversations:
    """The kept conversations of one SQL tracker store, least recently used first."""

    def __init__(self, store, kept: int = KEPT) -> None:
        self.kept = kept
        self._entries: OrderedDict[str, Kept] = OrderedDict()
        events = store.SQLEvent.__table__
        self.insert = events.insert()
        self._signature = sa.select(
            sa.func.count(events.c.id), sa.func.max(events.c.id), sa.func.max(events.c.timestamp)
        ).where(events.c.sender_id == sa.bindparam("sender_id"))

    def signature(self, db, sender_id: str) -> Signature:
        count, newest, stamped = db.execute(self._signature, {"sender_id": sender_id}).one()
        return count, newest, stamped

    def get(self, sender_id: str, signature: Signature) -> Optional[Kept]:
        kept = self._entries.get(sender_id)
        if kept is None or kept.signature != signature:
            return None
        self._entries.move_to_end(sender_id)
        return kept

    def keep(self, sender_id: str, signature: Signature, events) -> None:
        self._entries[sender_id] = Kept(signature, tuple(events))
        self._entries.move_to_end(sender_id)
        while len(self._entries) > self.kept:
            self._entries.popitem(last=False)

    def forget(self, sender_id: str) -> None:
        self._entries.pop(sender_id, None)


def event_row(sender_id: str, event: Event) -> dict:
    """The row Rasa's SQLTrackerStore.save writes for an event."""
    data = event.as_dict()
    return {
        "sender_id": sender_id,
        "type_name": event.type_name,
        "timestamp": data.get("timestamp"),
        "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
        "action_name": data.get("name"),
        "data": json.dumps(data),
    }


def current_session(events) -> list[Event]:
    """What Rasa's read returns of these stored events: those stamped at or after the latest
    SessionStarted (all of them when there is none)."""
    events = list(events)
    starts = [event.timestamp for event in events if isinstance(event, SessionStarted)]
    return [event for event in events if event.timestamp >= max(starts)] if starts else events


def grown_from(tracker: DialogueStateTracker, kept: Kept) -> bool:
    """The tracker starts with the kept events themselves: it was read through here."""
    return len(tracker.events) >= len(kept.events) and all(
        mine is theirs for mine, theirs in zip(tracker.events, kept.events)
    )


def recent(store) -> RecentConversations:
    if "_clinic_recent" not in store.__dict__:
        store._clinic_recent = RecentConversations(store)
    return store._clinic_recent


async def retrieve(self, sender_id: str) -> Optional[DialogueStateTracker]:
    """SQLTrackerStore.retrieve, from memory while the database's signature is unchanged."""
    if not self.domain:  # Rasa returns nothing without a domain; so do we
        return await self._retrieve(sender_id, fetch_events_from_all_sessions=False)
    conversations = recent(self)
    with self.engine.connect() as db:
        signature = conversations.signature(db, sender_id)
    if signature == NOTHING_STORED:
        return None  # as Rasa's own read answers for a conversation without events
    kept = conversations.get(sender_id, signature)
    if kept is not None:
        return DialogueStateTracker.from_events(sender_id, list(kept.events), self.domain.slots)
    tracker = await self._retrieve(sender_id, fetch_events_from_all_sessions=False)
    with self.session_scope() as session:
        unchanged = conversations.signature(session.connection(), sender_id) == signature  # nothing written meanwhile
        # Rasa skips rows it cannot read (old "topic" events); save counts rows, so keep only when none were.
        whole = tracker is not None and self._event_query(session, sender_id, False).count() == len(tracker.events)
    if unchanged and whole:
        conversations.keep(sender_id, signature, tracker.events)
    else:
        conversations.forget(sender_id)
    return tracker


async def save(self, tracker: DialogueStateTracker) -> None:
    """SQLTrackerStore.save, counting what is already stored from memory when the database agrees."""
    await self.stream_events(tracker)
    conversations, sender_id = recent(self), tracker.sender_id
    with self.session_scope() as session:
        db = session.connection()
        before = conversations.signature(db, sender_id)
        kept = conversations.get(sender_id, before)
        # Rasa's rule: the database holds the current session's first events; the rest are new.
        if before == NOTHING_STORED:
            stored = 0
        elif kept is not None:
            stored = len(kept.events)
        else:
            stored = self._event_query(session, sender_id, False).count()
        new = list(tracker.events)[stored:]
        if new:
            db.execute(conversations.insert, [event_row(sender_id, event) for event in new])
        signature = conversations.signature(db, sender_id)
        session.commit()
    alone = signature[0] == before[0] + len(new)  # no other writer (a replica, retention) in between
    if alone and (before == NOTHING_STORED or (kept is not None and grown_from(tracker, kept))):
        conversations.keep(sender_id, signature, current_session(tracker.events))
    else:  # a tracker not read through here, or another writer: the next read asks the database
        conversations.forget(sender_id)
    logger.debug("saved %d new events", len(new))


def apply() -> None:
    """Rasa's SQL tracker store reads and saves through the kept conversations (this process only)."""
    from rasa.core.tracker_store import SQLTrackerStore

    SQLTrackerStore.retrieve = retrieve
    SQLTrackerStore.save = save
