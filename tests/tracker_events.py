"""Conversations written by Rasa's own SQLTrackerStore, so the staff console is
tested against exactly what Rasa stores (on SQLite and on PostgreSQL)."""
import asyncio
import contextlib
import uuid
from datetime import datetime, timezone

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import create_engine, text

from local_servers import POSTGRES_URL, require_postgres


class Chat:
    """Builds one conversation's events at a given day."""

    def __init__(self, day: str):
        self.clock = datetime.fromisoformat(day).replace(hour=9, tzinfo=timezone.utc).timestamp()
        self.events = [ActionExecuted("action_session_start", timestamp=self._tick()),
                       ActionExecuted("action_listen", timestamp=self._tick())]

    def _tick(self) -> float:
        self.clock += 1
        return self.clock

    def patient(self, text, intent, confidence=0.93, answer=None, answer_confidence=0.88, red_flags=None):
        parse = {"intent": {"name": intent, "confidence": confidence}, "entities": [], "text": text}
        if red_flags:
            parse["red_flags"] = [{"flag": flag, "tier": tier} for flag, tier in red_flags]
        if answer:
            parse["response_selector"] = {"all_retrieval_intents": ["faq"], "default": {"response": {
                "intent_response_key": answer, "confidence": answer_confidence,
                "utter_action": f"utter_{answer}"}}}
        self.events.append(UserUttered(text, parse["intent"], [], parse, timestamp=self._tick()))
        return self

    def assistant(self, response, text):
        self.events.append(ActionExecuted(response, timestamp=self._tick()))
        self.events.append(BotUttered(text, {}, {"utter_action": response}, timestamp=self._tick()))
        return self

    def form(self, name):
        """A form starts asking (a name), or stops (None)."""
        self.events.append(ActiveLoop(name, timestamp=self._tick()))
        return self

    def action(self, name, **slots):
        self.events.append(ActionExecuted(name, timestamp=self._tick()))
        self.events.extend(SlotSet(slot, value, timestamp=self._tick()) for slot, value in slots.items())
        return self


def save_conversations(tracker_store: SQLTrackerStore, conversations: dict[str, Chat]) -> None:
    async def save_all():
        for conversation_id, chat in conversations.items():
            await tracker_store.save(DialogueStateTracker.from_events(conversation_id, chat.events))

    asyncio.run(save_all())


def sqlite_tracker_store(path) -> SQLTrackerStore:
    return SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(path))


@contextlib.contextmanager
def postgres_tracker_store():
    """Rasa's SQLTrackerStore in a PostgreSQL database of its own, dropped afterwards;
    yields (store, the database's URL for the staff console's reader)."""
    require_postgres()
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    name = f"tracker_{uuid.uuid4().hex[:10]}"
    with admin.connect() as db:
        db.execute(text(f'CREATE DATABASE "{name}"'))
    store = SQLTrackerStore(Domain.empty(), dialect="postgresql", host="127.0.0.1", port=5432, db=name,
                            username="postgres")
    try:
        yield store, f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        store.engine.dispose()
        with admin.connect() as db:
            db.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
