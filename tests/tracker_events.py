"""Conversations written by Rasa's own SQLTrackerStore, so the staff console is
tested against exactly what Rasa stores (on SQLite and on PostgreSQL)."""
import asyncio
from datetime import datetime, timezone

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker


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
