"""The Rasa server's kept conversations (clinic/rasa_patches/conversation_cache.py) read
back exactly what Rasa's own SQL tracker store reads from the database, on SQLite
and PostgreSQL, whatever else writes to or deletes from it."""
import asyncio
import contextlib
from pathlib import Path

import pytest
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity
from sqlalchemy import event, text

from clinic.rasa_patches import conversation_cache
from tracker_events import Chat, postgres_tracker_store

DOMAIN = Domain.load(str(Path(__file__).resolve().parent.parent / "domain.yml"))
COPY_LAST_ROW = ("insert into events (sender_id, type_name, timestamp, intent_name, action_name, data) "
                 "select sender_id, type_name, timestamp, intent_name, action_name, data from events "
                 "where id = (select max(id) from events where sender_id = :sender)")


@pytest.fixture(autouse=True)
def kept_conversations(monkeypatch):
    monkeypatch.setattr(SQLTrackerStore, "retrieve", conversation_cache.retrieve)
    monkeypatch.setattr(SQLTrackerStore, "save", conversation_cache.save)


@pytest.fixture(params=["sqlite", "postgresql"])
def replicas(request, tmp_path):
    """Two Rasa servers' tracker stores on one database."""
    with contextlib.ExitStack() as stack:
        if request.param == "sqlite":
            stores = [SQLTrackerStore(DOMAIN, dialect="sqlite", db=str(tmp_path / "rasa.db")) for _ in range(2)]
        else:
            first, url = stack.enter_context(postgres_tracker_store())
            second = SQLTrackerStore(DOMAIN, dialect="postgresql", host="127.0.0.1", port=5432,
                                     db=url.rsplit("/", 1)[1], username="postgres")
            stack.callback(second.engine.dispose)
            first.domain = DOMAIN
            stores = [first, second]
        yield stores


def in_database(store, sender_id):
    """What Rasa's own read gives, straight from the database."""
    tracker = asyncio.run(store._retrieve(sender_id, fetch_events_from_all_sessions=False))
    return tracker and tracker.current_state(EventVerbosity.ALL)


def read(store, sender_id):
    tracker = asyncio.run(store.retrieve(sender_id))
    return tracker and tracker.current_state(EventVerbosity.ALL)


def turn(store, sender_id, chat: Chat, text, **slots):
    """A patient's turn as Rasa does it: read the conversation, add the turn's events, save."""
    tracker = asyncio.run(store.retrieve(sender_id))
    before = len(chat.events)
    chat.patient(text, "faq", answer="faq/needling_pain").assistant("utter_faq", "A short answer.")
    if slots:
        chat.action("action_clinic_topic", **slots)
    for new_event in chat.events[before:]:
        tracker.update(new_event)
    asyncio.run(store.save(tracker))


def start(store, sender_id) -> Chat:
    chat = Chat("2026-11-30")
    asyncio.run(store.save(DialogueStateTracker.from_events(sender_id, chat.events, DOMAIN.slots)))
    return chat


def statements(store):
    """The SQL statements the store sends, as a list that fills up."""
    sent = []
    event.listen(store.engine, "before_cursor_execute", lambda *args: sent.append(args[2]))
    return sent


def test_a_conversation_reads_back_what_the_database_holds_turn_after_turn(replicas):
    store, _ = replicas
    chat = start(store, "patient-a")
    for number in range(4):
        turn(store, "patient-a", chat, f"does it hurt {number}", faq_topic="dry_needling")
        assert read(store, "patient-a") == in_database(store, "patient-a")
    assert read(store, "patient-a")["slots"]["faq_topic"] == "dry_needling"
    assert len(in_database(store, "patient-a")["events"]) == len(chat.events)


def test_a_kept_conversation_costs_one_small_query_to_read(replicas):
    store, _ = replicas
    chat = start(store, "patient-b")
    turn(store, "patient-b", chat, "does it hurt")
    sent = statements(store)
    kept = read(store, "patient-b")
    assert len(sent) == 1 and "count" in sent[0].lower() and "events.data" not in sent[0].lower()
    assert kept == in_database(store, "patient-b")


def test_what_another_replica_writes_is_read_at_once(replicas):
    here, there = replicas
    chat = start(here, "patient-c")
    turn(here, "patient-c", chat, "does it hurt")
    read(here, "patient-c")
    turn(there, "patient-c", chat, "how many sessions", faq_topic="sessions")
    assert read(here, "patient-c") == in_database(here, "patient-c")
    assert read(here, "patient-c")["slots"]["faq_topic"] == "sessions"
    turn(here, "patient-c", chat, "is it safe")  # and the next save counts what the other one stored
    assert len(in_database(there, "patient-c")["events"]) == len(chat.events)


def test_a_conversation_deleted_by_retention_is_gone(replicas):
    store, _ = replicas
    chat = start(store, "patient-d")
    turn(store, "patient-d", chat, "does it hurt")
    assert read(store, "patient-d") is not None
    with store.engine.begin() as db:
        db.execute(text("DELETE FROM events WHERE sender_id = 'patient-d'"))
    assert read(store, "patient-d") is None


def test_a_new_session_reads_only_its_own_events(replicas):
    store, _ = replicas
    chat = start(store, "patient-e")
    turn(store, "patient-e", chat, "does it hurt", faq_topic="dry_needling")
    tracker = asyncio.run(store.retrieve("patient-e"))
    clock = chat.events[-1].timestamp
    for new_event in (ActionExecuted("action_session_start", timestamp=clock + 1), SessionStarted(timestamp=clock + 2),
                      SlotSet("faq_topic", None, timestamp=clock + 3), ActionExecuted("action_listen", timestamp=clock + 4)):
        tracker.update(new_event)
    asyncio.run(store.save(tracker))
    sent = statements(store)
    assert read(store, "patient-e") == in_database(store, "patient-e")
    assert len(sent) == 2  # the signature, then in_database's own read: the new session was kept
    assert read(store, "patient-e")["events"][0]["event"] == "session_started"


def test_a_conversation_with_nothing_stored_reads_as_none_and_is_kept_once_saved(replicas):
    store, _ = replicas
    assert read(store, "patient-new") is None
    chat = start(store, "patient-new")
    sent = statements(store)
    turn(store, "patient-new", chat, "does it hurt")
    assert read(store, "patient-new") == in_database(store, "patient-new")
    full_reads = [statement for statement in sent if "events.data" in statement.lower()]
    assert len(full_reads) == 1  # in_database's own: the turn read the conversation from memory


def test_a_tracker_not_read_through_the_store_is_saved_as_rasa_saves_it(replicas):
    store, _ = replicas
    chat = start(store, "patient-f")
    turn(store, "patient-f", chat, "does it hurt")
    read(store, "patient-f")
    history = list(chat.events)  # e.g. Rasa's HTTP API replacing a conversation's events
    history[-1] = BotUttered("Another answer.", timestamp=history[-1].timestamp)
    rebuilt = DialogueStateTracker.from_events("patient-f", history, DOMAIN.slots)
    rebuilt.update(ActionExecuted("action_listen", timestamp=chat.events[-1].timestamp + 1))
    asyncio.run(store.save(rebuilt))
    assert read(store, "patient-f") == in_database(store, "patient-f")
    said = [e.get("text") for e in read(store, "patient-f")["events"] if e["event"] == "bot"]
    assert said[-1] == "A short answer."  # Rasa saves only the events after those stored
    assert read(store, "patient-f")["events"][-1]["name"] == "action_listen"


def test_a_save_raced_by_another_writer_keeps_no_copy(replicas, monkeypatch):
    here, there = replicas
    chat = start(here, "patient-g")
    turn(here, "patient-g", chat, "does it hurt")
    looks = []
    signature = conversation_cache.RecentConversations.signature

    def raced(self, db, sender_id):
        seen = signature(self, db, sender_id)
        looks.append(seen)
        if len(looks) == 2:  # the save has looked; another replica writes before it inserts
            with there.engine.begin() as other:
                other.execute(text(COPY_LAST_ROW), {"sender": "patient-g"})
        return seen

    monkeypatch.setattr(conversation_cache.RecentConversations, "signature", raced)
    turn(here, "patient-g", chat, "is it safe")
    monkeypatch.setattr(conversation_cache.RecentConversations, "signature", signature)
    assert read(here, "patient-g") == in_database(here, "patient-g")


def test_a_conversation_deleted_and_written_again_is_read_again(replicas):
    here, there = replicas
    chat = start(here, "patient-h")
    turn(here, "patient-h", chat, "does it hurt")
    assert read(here, "patient-h") is not None
    with there.engine.begin() as db:  # its rows were the newest: SQLite hands their ids out again
        db.execute(text("DELETE FROM events WHERE sender_id = 'patient-h'"))
    again = Chat("2026-12-01")
    asyncio.run(there.save(DialogueStateTracker.from_events("patient-h", again.events, DOMAIN.slots)))
    turn(there, "patient-h", again, "how much is it")
    assert read(here, "patient-h") == in_database(here, "patient-h")
    assert read(here, "patient-h")["latest_message"]["text"] == "how much is it"


def test_only_the_most_recent_conversations_are_kept(tmp_path):
    store = SQLTrackerStore(DOMAIN, dialect="sqlite", db=str(tmp_path / "rasa.db"))
    conversations = conversation_cache.recent(store)
    conversations.kept = 3
    for number in range(5):
        chat = start(store, f"patient-{number}")
        turn(store, f"patient-{number}", chat, "does it hurt")
        read(store, f"patient-{number}")
    assert list(conversations._entries) == ["patient-2", "patient-3", "patient-4"]
    assert read(store, "patient-0") == in_database(store, "patient-0")
